//! What the product crates' tests of their declarations share (hidden from the docs: it panics, as a test
//! does, and is no part of the face).

use crate::bind::Argument;
use crate::declare::Cmdlet;

/// Asserts the set `arguments` resolve to in `cmdlet`, and that `built` (the typed request built from
/// them, as its set's name, or the error) is that set's; a certificate named by thumbprint, subject or
/// file (none of which exists in these tests) must be refused when binding, naming it.
pub fn assert_set(
    cmdlet: &'static Cmdlet,
    arguments: Vec<(&str, Argument)>,
    set: &str,
    built: Result<&str, String>,
) {
    let bound = cmdlet.bind(arguments.clone());
    assert_eq!(
        bound.as_ref().map(|bound| bound.set_name()).ok(),
        Some(set),
        "{arguments:?}"
    );
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
