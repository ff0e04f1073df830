//! Small constructors for unit tests across the crate.

use crate::engine::Time;
use crate::model::{Container, Node, NodeId, Pod, PodId, PodPhase, PodSpec, PodTemplate, Resources};
use std::sync::Arc;

pub fn node(cpu: i64, mem: i64, requested: Resources) -> Node {
    Node {
        requested,
        nonzero_requested: requested,
        ..Node::joined(NodeId(0), "n".into(), Default::default(), Resources::new(cpu, mem, 110), Time::ZERO)
    }
}

pub fn pod(containers: &[(i64, i64)]) -> Pod {
    let spec = PodSpec {
        containers: containers
            .iter()
            .map(|&(c, m)| Container {
                cpu_request_millis: Some(c),
                memory_request_bytes: Some(m),
                ..Container::default()
            })
            .collect(),
        ..PodSpec::default()
    };
    let template = Arc::new(PodTemplate { spec, ..PodTemplate::default() });
    Pod {
        id: PodId(0),
        group: 0,
        name: "p".into(),
        namespace: crate::model::NamespaceId::DEFAULT,
        requests: template.spec.requests(),
        nonzero_requests: template.spec.nonzero_requests(),
        scalar_requests: template.spec.scalar_requests().boxed(),
        template,
        tolerations: Vec::new(),
        owner: None,
        priority: 0,
        created: Time::ZERO,
        node: None,
        phase: PodPhase::Pending,
        containers_running: false,
        kubelet_admitted: false,
        kubelet_accepted: false,
        kubelet_ready: false,
        ready: false,
        ready_since: None,
        ready_changed: Time::ZERO,
        started: None,
        deletion: None,
        stopping: false,
        incarnation: 0,
        restarts: 0,
    }
}

/// A pending pod with no requests and the given name.
pub fn pod_named(name: &str) -> Pod {
    let mut p = pod(&[]);
    p.name = name.to_string();
    p
}
