//! Every close is a WebSocket close handshake with a code (RFC 6455 5.5.1, 7.4.1), checked on
//! the Close frame the charger actually receives: 1000 replaced, 1002 protocol error, 1003
//! binary, 1007 text that is not UTF-8, 1008 too many protocol errors, 1009 too big; a close
//! the charger starts is answered. After the handshake the server closes the TCP connection.

use crate::{client::*, server};
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::{
    coding::{Data, OpCode},
    Frame,
};

#[tokio::test]
async fn a_replaced_connection_gets_1000_and_a_clean_end() {
    let s = server().await;
    let mut old = connect(s.addr, "CP-R", "ocpp1.6", None).await.unwrap();
    let _new = connect(s.addr, "CP-R", "ocpp1.6", None).await.unwrap();
    assert_eq!(
        old.expect_close_handshake().await,
        (Some((1000, "replaced".into())), true)
    );
}

#[tokio::test]
async fn a_message_over_the_limit_gets_1009() {
    let s = server().await;
    for protocol in ["ocpp1.6", "ocpp2.0.1"] {
        let mut c = connect(s.addr, "CP-BIG", protocol, None).await.unwrap();
        assert_eq!(c.boot().await["status"], "Accepted");
        let big = json!([2, "b1", "Heartbeat", {"pad": "x".repeat(70_000)}]).to_string();
        c.send_text(&big).await;
        let (close, _) = c.expect_close_handshake().await;
        assert_eq!(close, Some((1009, "message too big".into())), "{protocol}");
    }
}

#[tokio::test]
async fn binary_and_protocol_errors_get_1003_and_1008_with_a_clean_end() {
    let s = server().await;
    let mut c = connect(s.addr, "CP-BIN", "ocpp1.6", None).await.unwrap();
    c.send_binary(vec![1, 2, 3]).await;
    assert_eq!(
        c.expect_close_handshake().await,
        (Some((1003, "binary frames are not supported".into())), true)
    );
    let mut c = connect(s.addr, "CP-POL", "ocpp2.0.1", None).await.unwrap();
    for _ in 0..10 {
        c.send_text("[").await;
    }
    assert_eq!(
        c.expect_close_handshake().await,
        (Some((1008, "too many protocol errors".into())), true)
    );
}

#[tokio::test]
async fn text_that_is_not_utf8_gets_1007() {
    let s = server().await;
    let mut c = connect(s.addr, "CP-UTF", "ocpp1.6", None).await.unwrap();
    c.send_frame(Frame::message(
        vec![b'[', 0xff, 0xfe, b']'],
        OpCode::Data(Data::Text),
        true,
    ))
    .await;
    let (close, _) = c.expect_close_handshake().await;
    assert_eq!(close, Some((1007, "text is not UTF-8".into())));
}

#[tokio::test]
async fn a_websocket_protocol_error_gets_1002() {
    let s = server().await;
    let mut c = connect(s.addr, "CP-RSV", "ocpp1.6", None).await.unwrap();
    let mut frame = Frame::message(b"[]".to_vec(), OpCode::Data(Data::Text), true);
    frame.header_mut().rsv1 = true;
    c.send_frame(frame).await;
    let (close, _) = c.expect_close_handshake().await;
    assert_eq!(close, Some((1002, "websocket protocol error".into())));
}

#[tokio::test]
async fn a_close_from_the_charger_is_answered_with_its_code() {
    let s = server().await;
    for protocol in ["ocpp1.6", "ocpp2.0.1"] {
        let mut c = connect(s.addr, "CP-BYE", protocol, None).await.unwrap();
        assert_eq!(c.boot().await["status"], "Accepted");
        assert_eq!(
            c.close_with(1000, "bye").await,
            Some((1000, "bye".into())),
            "{protocol}"
        );
        let mut c = connect(s.addr, "CP-AWAY", protocol, None).await.unwrap();
        assert_eq!(
            c.close_with(1001, "going away").await,
            Some((1001, "going away".into()))
        );
    }
}
