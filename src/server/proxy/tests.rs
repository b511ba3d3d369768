//! Unit tests of the proxy: upstream parsing.

use super::*;

#[test]
fn upstream_forms() {
    assert_eq!(
        split_upstream("mx.example:2525").unwrap(),
        ("mx.example".into(), 2525)
    );
    assert_eq!(
        split_upstream("mx.example").unwrap(),
        ("mx.example".into(), 25)
    );
    assert_eq!(split_upstream("[::1]:26").unwrap(), ("::1".into(), 26));
    assert_eq!(
        split_upstream("127.0.0.1:1").unwrap(),
        ("127.0.0.1".into(), 1)
    );
    assert!(split_upstream("").is_err());
    assert!(split_upstream("a:b").is_err());
    assert!(split_upstream("[::1").is_err());
}
