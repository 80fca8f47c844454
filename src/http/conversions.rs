//! `GET`/`POST /api/v1/conversions` and `PUT /api/v1/conversions/{id}`: the
//! ledger, and conversions entered and edited by hand (`ledger`).

use super::auth::authenticate;
use super::body::limited;
use super::filters::api_key;
use super::recover::respond;
use super::state::AppState;
use super::with_state;
use crate::error::ApiError;
use crate::ledger::sql::{self, Changed};
use crate::ledger::{self, Edit, ListQuery, NewManual};
use bytes::Bytes;
use serde_json::{Value, json};
use warp::http::StatusCode;
use warp::{Filter, Reply};

pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let limit = state.max_body_bytes;
    let list = warp::path!("api" / "v1" / "conversions")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and(api_key())
        .and(warp::query::<Vec<(String, String)>>())
        .then(|state, key, query| async move { respond(list(state, key, query).await) });
    let create = warp::path!("api" / "v1" / "conversions")
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(api_key())
        .and(limited(limit))
        .then(|state, key, body| async move { respond(create(state, key, body).await) });
    let edit = warp::path!("api" / "v1" / "conversions" / String)
        .and(warp::put())
        .and(with_state(state))
        .and(api_key())
        .and(limited(limit))
        .then(|id, state, key, body| async move { respond(edit(state, key, id, body).await) });
    list.or(create).unify().or(edit).unify()
}

fn no_store(mut response: warp::reply::Response) -> warp::reply::Response {
    response.headers_mut().insert(
        warp::http::header::CACHE_CONTROL,
        warp::http::HeaderValue::from_static("no-store"),
    );
    response
}

async fn list(
    state: AppState,
    key: Option<String>,
    query: Vec<(String, String)>,
) -> Result<warp::reply::Response, ApiError> {
    let site = authenticate(&state, key).await?;
    let q = ListQuery::parse(&query)?;
    let client = state.pool.get().await?;
    let (rows, total) = sql::list(&client, site.id.as_str(), &q).await?;
    Ok(no_store(
        warp::reply::json(&json!({"rows": rows, "total_rows": total})).into_response(),
    ))
}

async fn create(
    state: AppState,
    key: Option<String>,
    body: Bytes,
) -> Result<warp::reply::Response, ApiError> {
    let site = authenticate(&state, key).await?;
    let manual = NewManual::parse(&site, &body)?;
    let params: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let Some(id) = sql::insert_manual(&tx, site.id.as_str(), &manual).await? else {
        return Err(ApiError::conflict(
            "transaction_id",
            format!(
                "a conversion with transaction id {:?} is already recorded; edit that one instead",
                manual.transaction_id.as_deref().unwrap_or_default()
            ),
        ));
    };
    sql::add_history(&tx, id, &manual.status, manual.amount_site).await?;
    let row = sql::find(&tx, site.id.as_str(), id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("conversion {id} vanished"))?;
    let message = match row.attribution {
        "click" => "conversion entered by hand and matched to its click",
        "page" => "conversion entered by hand and credited to its page",
        _ => "conversion entered by hand; no click or page: counted as unattributed",
    };
    let outcome = if row.attribution == "click" {
        "matched"
    } else {
        "unmatched"
    };
    sql::log(
        &tx,
        site.id.as_str(),
        "POST",
        &params,
        outcome,
        201,
        message,
        id,
    )
    .await?;
    tx.commit().await?;
    Ok(no_store(
        warp::reply::with_status(warp::reply::json(&row), StatusCode::CREATED).into_response(),
    ))
}

async fn edit(
    state: AppState,
    key: Option<String>,
    id: String,
    body: Bytes,
) -> Result<warp::reply::Response, ApiError> {
    let site = authenticate(&state, key).await?;
    let not_found = || ApiError::NotFoundText(format!("no conversion {id} on this site"));
    // Ids are positive integers; anything else names no conversion.
    let id: i64 = id.parse().ok().filter(|n| *n > 0).ok_or_else(not_found)?;
    let edit = Edit::parse(&body)?;
    let params: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let current = sql::lock(&tx, site.id.as_str(), id)
        .await?
        .ok_or_else(not_found)?;
    if current.source != "manual"
        && let Some(field) = edit.manual_only_field()
    {
        return Err(ApiError::invalid(
            field,
            format!(
                "only a conversion entered by hand can have its {field} changed (this one came by {}); its status can be",
                current.source
            ),
        ));
    }
    let amount = edit.amount.or(current.amount);
    let currency = edit.currency.clone().or(current.currency.clone());
    let amount_site = if edit.amount.is_some() || edit.currency.is_some() {
        let currency = currency.as_deref().unwrap_or(&site.settings.currency);
        ledger::to_site_currency(&site, amount.unwrap_or_default(), currency)
    } else {
        current.amount_site
    };
    let changed = Changed {
        status: edit.status.clone().unwrap_or(current.status.clone()),
        amount,
        currency,
        amount_site,
        received_at: edit
            .day
            .map_or(current.received_at, |day| ledger::moment_of(&site, day)),
        page_url: match &edit.page_url {
            Some(page) => page.clone(),
            None => current.page_url.clone(),
        },
        clear_page: matches!(edit.page_url, Some(None)),
    };
    sql::update(&tx, id, &changed).await?;
    if changed.status != current.status || changed.amount_site != current.amount_site {
        sql::add_history(&tx, id, &changed.status, changed.amount_site).await?;
    }
    let message = if changed.status != current.status {
        format!("changed by hand: status {} → {}", current.status, changed.status)
    } else {
        "changed by hand".to_owned()
    };
    sql::log(
        &tx,
        site.id.as_str(),
        "PUT",
        &params,
        "updated",
        200,
        &message,
        id,
    )
    .await?;
    let row = sql::find(&tx, site.id.as_str(), id)
        .await?
        .ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(no_store(warp::reply::json(&row).into_response()))
}
