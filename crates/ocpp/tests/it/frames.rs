//! Malformed input over the wire: answered with the version's code, the connection survives;
//! binary frames and an exhausted error budget close it.

use crate::{client::*, server};
use serde_json::json;

#[tokio::test]
async fn malformed_frames_are_answered_and_survived() {
    let s = server().await;
    for (protocol, code) in [
        ("ocpp1.6", "FormationViolation"),
        ("ocpp2.0.1", "FormatViolation"),
    ] {
        let mut c = connect(s.addr, "CP-M", protocol, None).await.unwrap();
        c.send_text("this is not json").await;
        assert_eq!(
            c.receive().await,
            Received::Frame(json!([4, "-1", code, "not valid JSON", {}]))
        );
        c.send_text(r#"[2,"m1","Heartbeat",[]]"#).await;
        let Received::Frame(f) = c.receive().await else {
            panic!()
        };
        assert_eq!(
            (f[0].clone(), f[1].clone(), f[2].clone()),
            (json!(4), json!("m1"), json!(code))
        );
        let f = c.call_frame("Authorize", json!({"wrong": 1})).await;
        assert_eq!((f[0].clone(), f[2].clone()), (json!(4), json!(code)));
        let f = c.call_frame("NoSuchAction", json!({})).await;
        assert_eq!(
            (f[0].clone(), f[2].clone()),
            (json!(4), json!("NotImplemented"))
        );
        // Still alive.
        assert!(c.call("Heartbeat", json!({})).await["currentTime"].is_string());
        c.close().await;
    }
}

#[tokio::test]
async fn binary_frames_close_with_1003() {
    let s = server().await;
    let mut c = connect(s.addr, "CP-B", "ocpp1.6", None).await.unwrap();
    c.send_binary(vec![1, 2, 3]).await;
    let (code, _) = c.expect_close().await.expect("a close frame");
    assert_eq!(code, 1003);
}

#[tokio::test]
async fn ten_protocol_errors_close_with_1008() {
    let s = server().await;
    let mut c = connect(s.addr, "CP-E", "ocpp2.0.1", None).await.unwrap();
    for _ in 0..9 {
        c.send_text("[").await;
        assert!(matches!(c.receive().await, Received::Frame(f) if f[0] == 4));
    }
    c.send_text("[").await;
    assert_eq!(c.expect_close().await.map(|(code, _)| code), Some(1008));
}
