//! `GET /api/v1/events`: finalized blocks as server-sent events, filtered for the reader.
use crate::auth::Viewer;
use crate::{policy, AppState};
use axum::{
    extract::State,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::{Stream, StreamExt};
use gridledger_api_types::Lagged;
use gridledger_api_types::*;
use std::{convert::Infallible, sync::Arc};

/// Decrements the open-streams gauge when a stream is dropped.
struct StreamGuard(Arc<crate::metrics::ApiMetrics>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.sse_disconnected();
    }
}

/// The [EventStream] of a broadcast channel of finalized blocks (what a node built on tokio
/// returns from [NodeApi::subscribe]): a receiver that falls behind sees [Lagged], a closed
/// channel ends the stream.
pub fn event_stream(rx: tokio::sync::broadcast::Receiver<Arc<FinalizedEvent>>) -> EventStream {
    use tokio_stream::wrappers::{errors::BroadcastStreamRecvError, BroadcastStream};
    Box::pin(
        BroadcastStream::new(rx)
            .map(|r| r.map_err(|BroadcastStreamRecvError::Lagged(n)| Lagged(n))),
    )
}

pub async fn events(
    State(st): State<AppState>,
    viewer: Viewer,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = st.node.subscribe();
    st.metrics.sse_connected();
    let guard = StreamGuard(st.metrics.clone());
    let scope = policy::events(&viewer);
    let stream = futures::stream::unfold((rx, guard), move |(mut rx, guard)| {
        let scope = scope.clone();
        async move {
            loop {
                let event = match rx.next().await? {
                    Ok(ev) => match Event::default()
                        .event("block")
                        .id(ev.block.height.to_string())
                        .json_data(policy::filter_event(&scope, &ev))
                    {
                        Ok(e) => e,
                        Err(e) => {
                            tracing::error!(error = %e, "could not serialize a block event");
                            continue;
                        }
                    },
                    Err(Lagged(n)) => {
                        guard.0.sse_lagged(n);
                        Event::default().event("lagged").data(n.to_string())
                    }
                };
                return Some((Ok(event), (rx, guard)));
            }
        }
    });
    let shutdown = st.shutdown.clone();
    let stop = async move {
        match shutdown {
            Some(mut rx) => {
                let _ = rx.wait_for(|down| *down).await;
            }
            None => futures::future::pending::<()>().await,
        }
    };
    Sse::new(stream.take_until(stop)).keep_alive(KeepAlive::default())
}
