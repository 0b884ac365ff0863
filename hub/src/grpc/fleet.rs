//! `FleetQuery`: list, get and watch the fleet's current state (with
//! `--viewer-token`, for callers presenting the viewer or admin token).

use std::pin::Pin;

use actix::Addr;
use futures::{Stream, StreamExt};
use sysmonstm_protocol::pb::{self, fleet_query_server::FleetQuery};
use sysmonstm_protocol::token;
use tokio_stream::wrappers::BroadcastStream;
use tonic::{metadata::MetadataMap, Request, Response, Status};

use crate::actors::registry::{GetMachine, ListMachines, MachineRegistry};
use crate::events::{LiveEvent, LiveSender};
use crate::read_access::ReadAccess;

pub struct FleetService {
    pub registry: Addr<MachineRegistry>,
    pub live: LiveSender,
    /// With `--viewer-token`, who may read.
    pub readers: ReadAccess,
}

fn unavailable(_: actix::MailboxError) -> Status {
    Status::unavailable("hub is shutting down")
}

impl FleetService {
    /// With `--viewer-token`, reading needs the viewer or admin token.
    fn authorize(&self, metadata: &MetadataMap) -> Result<(), Status> {
        if !self.readers.required() {
            return Ok(());
        }
        let given = metadata.get("authorization").and_then(|v| v.to_str().ok()).and_then(token::bearer);
        match given {
            None => Err(Status::unauthenticated("reading needs the viewer token: `authorization: Bearer <token>`")),
            Some(given) if self.readers.grants(given) => Ok(()),
            Some(_) => Err(Status::unauthenticated("wrong viewer token")),
        }
    }

    async fn summaries(&self) -> Result<Vec<pb::MachineSummary>, Status> {
        let all = self.registry.send(ListMachines).await.map_err(unavailable)?;
        Ok(all.iter().map(|u| (&u.summary).into()).collect())
    }
}

#[tonic::async_trait]
impl FleetQuery for FleetService {
    async fn list_machines(
        &self,
        request: Request<pb::ListMachinesRequest>,
    ) -> Result<Response<pb::ListMachinesResponse>, Status> {
        self.authorize(request.metadata())?;
        Ok(Response::new(pb::ListMachinesResponse { machines: self.summaries().await? }))
    }

    async fn get_machine(
        &self,
        request: Request<pb::GetMachineRequest>,
    ) -> Result<Response<pb::GetMachineResponse>, Status> {
        self.authorize(request.metadata())?;
        let id = request.into_inner().machine_id;
        let update = self
            .registry
            .send(GetMachine(id.clone()))
            .await
            .map_err(unavailable)?
            .ok_or_else(|| Status::not_found(format!("no machine `{id}`")))?;
        Ok(Response::new(pb::GetMachineResponse {
            summary: Some((&update.summary).into()),
            host: Some((&*update.host).into()),
            latest: Some((&*update.latest).into()),
        }))
    }

    type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::WatchEvent, Status>> + Send + 'static>>;

    async fn watch(&self, request: Request<pb::WatchRequest>) -> Result<Response<Self::WatchStream>, Status> {
        self.authorize(request.metadata())?;
        let updates = BroadcastStream::new(self.live.subscribe());
        let snapshot = pb::WatchEvent { snapshot: true, machines: self.summaries().await? };
        let live = updates.filter_map(|item| async move {
            match item {
                Ok(LiveEvent::Machine(update)) => {
                    Some(Ok(pb::WatchEvent { snapshot: false, machines: vec![(&update.summary).into()] }))
                }
                Ok(LiveEvent::Alert(_) | LiveEvent::Removed(_)) => None,
                Err(_) => {
                    Some(Err(Status::resource_exhausted("watcher fell behind; watch again for a fresh snapshot")))
                }
            }
        });
        Ok(Response::new(Box::pin(futures::stream::once(async { Ok(snapshot) }).chain(live))))
    }
}
