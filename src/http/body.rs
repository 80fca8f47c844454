//! Request bodies with a size limit, whether their length is declared
//! (`Content-Length`) or not (`Transfer-Encoding: chunked`).

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::{Stream, TryStreamExt};
use warp::{Filter, Rejection};

/// The body was over the limit: answered 413 by `recover`.
#[derive(Debug)]
pub struct TooLarge {
    pub limit: u64,
}

impl warp::reject::Reject for TooLarge {}

/// The body could not be read to its end (the client went away, bad
/// chunking): answered 400 by `recover`.
#[derive(Debug)]
pub struct Unreadable(pub String);

impl warp::reject::Reject for Unreadable {}

/// The whole body, at most `limit` bytes. A declared length over the limit
/// is refused before a byte is read; an undeclared one as soon as what has
/// arrived passes it, so nobody can make the sidecar buffer more.
pub fn limited(limit: u64) -> impl Filter<Extract = (Bytes,), Error = Rejection> + Clone {
    warp::header::optional::<u64>("content-length")
        .and(warp::body::stream())
        .and_then(move |declared: Option<u64>, body| async move {
            if declared.is_some_and(|length| length > limit) {
                return Err(warp::reject::custom(TooLarge { limit }));
            }
            collect(body, limit).await
        })
}

async fn collect<B: Buf>(
    body: impl Stream<Item = Result<B, warp::Error>>,
    limit: u64,
) -> Result<Bytes, Rejection> {
    let mut collected = BytesMut::new();
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| warp::reject::custom(Unreadable(e.to_string())))?
    {
        if (collected.len() + chunk.remaining()) as u64 > limit {
            return Err(warp::reject::custom(TooLarge { limit }));
        }
        collected.put(chunk);
    }
    Ok(collected.freeze())
}
