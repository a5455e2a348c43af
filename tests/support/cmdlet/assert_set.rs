//! The set check the product crates' declaration tests share (partnercenter, entra, psentra). Each
//! includes this file with `#[path]`: it depends on cmdlet, which the test support crate cannot (auth-core's
//! unit tests compile that crate in), and it must ship in no package.

use cmdlet::{Argument, Cmdlet};

/// Asserts the set `arguments` resolve to, and that the typed request is that set's; a certificate named
/// by thumbprint, subject or file (none of which exists here) is refused when binding, naming it.
pub(crate) fn assert_set(
    cmdlet: &'static Cmdlet,
    arguments: Vec<(&str, Argument)>,
    set: &str,
    built: Result<&str, String>,
) {
    assert_eq!(cmdlet.bind(arguments.clone()).unwrap().set_name(), set);
    let named = arguments.iter().find_map(|(name, value)| match value {
        Argument::Text(text) if name.starts_with("-Certificate") => Some(text.clone()),
        _ => None,
    });
    match (named, built) {
        (None, Ok(built)) => assert_eq!(built, set),
        (Some(certificate), Err(error)) => assert!(error.contains(&certificate), "{error}"),
        (named, built) => panic!("{named:?}: {built:?}"),
    }
}
