//! Generates the `i18n` module from `locales/*.json`: every key and argument is
//! checked at compile time, in both languages.

use std::path::PathBuf;

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let cfg = Config::new("en")
        .and_then(|c| c.add_locale("ko"))
        .expect("valid locales")
        // Arguments inside strings (aria-labels, titles) as well as views.
        .parse_options(ParseOptions::new().interpolate_display(true));
    let infos = TranslationsInfos::parse(cfg).expect("locales parse");
    infos.rerun_if_locales_changed();
    infos.emit_diagnostics();
    infos
        .generate_i18n_module(out.join("i18n"))
        .expect("i18n module written");
}
