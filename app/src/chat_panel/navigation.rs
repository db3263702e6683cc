//! Moving through the messages by keyboard: the list is one tab stop; inside it
//! the arrows go one message, Page Up/Down ten, Home/End to either end. A
//! focused message shows its actions, which Tab then reaches.

use leptos::{ev::KeyboardEvent, html, prelude::*};

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const PAGE: usize = 10;

/// Where focus goes from message `at` (None: the list itself) of `len`.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn target(key: &str, at: Option<usize>, len: usize) -> Option<usize> {
    let last = len.checked_sub(1)?;
    Some(match (key, at) {
        ("ArrowUp" | "ArrowDown" | "PageUp" | "PageDown" | "End", None) => last,
        ("Home", _) => 0,
        ("End", _) => last,
        ("ArrowUp", Some(i)) => i.saturating_sub(1),
        ("ArrowDown", Some(i)) => (i + 1).min(last),
        ("PageUp", Some(i)) => i.saturating_sub(PAGE),
        ("PageDown", Some(i)) => (i + PAGE).min(last),
        _ => return None,
    })
}

/// The list's keydown: moves focus between messages.
#[cfg(feature = "hydrate")]
pub fn on_key(ev: KeyboardEvent, list: NodeRef<html::Div>) {
    use wasm_bindgen::JsCast;
    let Some(ol) = list.get_untracked() else {
        return;
    };
    let Ok(items) = ol.query_selector_all("li.msg") else {
        return;
    };
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let len = items.length() as usize;
    let at = (0..len).find(|&i| {
        let item = items.item(i as u32);
        item.as_ref().map(|n| n as &web_sys::Node)
            == active.as_ref().map(|a| a.unchecked_ref::<web_sys::Node>())
    });
    // Keys typed in a control inside a message (a select) stay with it.
    if at.is_none() && active.as_ref().map(|a| a.unchecked_ref::<web_sys::Node>()) != Some(&ol) {
        return;
    }
    if let Some(next) = target(&ev.key(), at, len) {
        ev.prevent_default();
        if let Some(el) = items
            .item(next as u32)
            .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
}

#[cfg(not(feature = "hydrate"))]
pub fn on_key(_: KeyboardEvent, _: NodeRef<html::Div>) {}

#[cfg(test)]
mod tests {
    use super::target;

    #[test]
    fn keys_move_within_the_list() {
        assert_eq!(target("ArrowUp", None, 5), Some(4));
        assert_eq!(target("ArrowUp", Some(0), 5), Some(0));
        assert_eq!(target("ArrowDown", Some(4), 5), Some(4));
        assert_eq!(target("ArrowDown", Some(1), 5), Some(2));
        assert_eq!(target("PageUp", Some(14), 30), Some(4));
        assert_eq!(target("PageDown", Some(25), 30), Some(29));
        assert_eq!(target("Home", Some(7), 30), Some(0));
        assert_eq!(target("End", None, 30), Some(29));
        assert_eq!(target("a", Some(1), 5), None);
        assert_eq!(target("ArrowUp", None, 0), None);
    }
}
