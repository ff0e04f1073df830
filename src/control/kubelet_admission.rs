//! The kubelet's admission of a pod that reached its node without the scheduler
//! (`spec.nodeName`): resources, node selector and required node affinity, and NoExecute
//! taints only (a NoSchedule taint does not stop it). Only the first failure is reported;
//! the pod is then Failed with that reason and "Pod was rejected: <message>".
//! Upstream: pkg/kubelet/lifecycle/predicate.go (Admit, generalFilter) on
//! pkg/scheduler/framework/plugins (AdmissionCheck: noderesources.Fits, nodeaffinity, nodename).

use super::scheduler::required_node_affinity_matches;
use crate::model::{Node, Pod, Resources, ScalarNames, Scalars, TaintEffect};

/// Why the kubelet refused a pod: `reason` is the pod status reason (`OutOfcpu`,
/// `NodeAffinity`, `TaintToleration`...), `message` its status message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub reason: String,
    pub message: String,
}

/// `used` and `used_scalars`: the requests of the pods the kubelet already runs (admitted)
/// on the node, and `others` how many there are; `names` name the scalar resources.
pub fn admit(
    pod: &Pod,
    node: &Node,
    used: Resources,
    used_scalars: &Scalars,
    others: usize,
    names: &ScalarNames,
) -> Result<(), Rejection> {
    let reject = |reason: &str, message: String| Rejection {
        reason: reason.to_string(),
        message: format!("Pod was rejected: {message}"),
    };
    // noderesources.Fits, in its order: pods, cpu, memory; InsufficientResourceError text.
    let insufficient = |name: &str, requested: i64, used: i64, capacity: i64| {
        reject(
            &format!("OutOf{name}"),
            format!(
                "Node didn't have enough resource: {name}, requested: {requested}, used: {used}, capacity: {capacity}"
            ),
        )
    };
    let alloc = node.allocatable;
    if others as i64 + 1 > alloc.pods {
        return Err(insufficient("pods", 1, others as i64, alloc.pods));
    }
    let req = pod.requests;
    if req.cpu_millis > 0 && req.cpu_millis > alloc.cpu_millis - used.cpu_millis {
        return Err(insufficient("cpu", req.cpu_millis, used.cpu_millis, alloc.cpu_millis));
    }
    if req.memory_bytes > 0 && req.memory_bytes > alloc.memory_bytes - used.memory_bytes {
        return Err(insufficient("memory", req.memory_bytes, used.memory_bytes, alloc.memory_bytes));
    }
    // Then ephemeral-storage (slot 0) and the other scalar resources.
    if let Some(requested) = pod.scalar_requests.as_deref() {
        let alloc = node.scalar_allocatable();
        let (shortage, _) = super::scheduler::scalar_shortage(requested, &alloc, used_scalars);
        if shortage != 0 {
            let slot = shortage.trailing_zeros() as usize;
            return Err(insufficient(names.name(slot), requested.0[slot], used_scalars.0[slot], alloc.0[slot]));
        }
    }
    if !required_node_affinity_matches(&pod.template.spec, node) {
        return Err(reject(
            "NodeAffinity",
            "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector".into(),
        ));
    }
    // Kubelet is only interested in the NoExecute taints.
    let untolerated = node
        .taints
        .iter()
        .any(|(t, _)| t.effect == TaintEffect::NoExecute && !pod.tolerations.iter().any(|tol| tol.tolerates(t)));
    if untolerated {
        return Err(reject(
            "TaintToleration",
            "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Time;
    use crate::model::testing::{node, pod};
    use crate::model::{Taint, Toleration, TolerationOperator};

    fn taint(effect: TaintEffect) -> (Taint, Time) {
        (Taint { key: "dedicated".into(), value: "x".into(), effect }, Time::ZERO)
    }

    #[test]
    fn resources_come_first_in_fits_order() {
        let n = node(2000, 1 << 30, Resources::default());
        let p = pod(&[(1500, 1 << 20)]);
        let err = admit(&p, &n, Resources::new(1000, 0, 1), &Scalars::ZERO, 1, &ScalarNames::default()).unwrap_err();
        assert_eq!(err.reason, "OutOfcpu");
        assert_eq!(
            err.message,
            "Pod was rejected: Node didn't have enough resource: cpu, requested: 1500, used: 1000, capacity: 2000"
        );
        let err =
            admit(&p, &n, Resources::new(1000, 0, 110), &Scalars::ZERO, 110, &ScalarNames::default()).unwrap_err();
        assert_eq!(err.reason, "OutOfpods", "the pod count is checked before cpu");
        let err = admit(&p, &n, Resources::new(0, (1 << 30) - 10, 1), &Scalars::ZERO, 1, &ScalarNames::default())
            .unwrap_err();
        assert_eq!(err.reason, "OutOfmemory");
        assert_eq!(
            admit(&p, &n, Resources::new(500, 0, 1), &Scalars::ZERO, 1, &ScalarNames::default()),
            Ok(()),
            "equality fits"
        );
    }

    #[test]
    fn scalar_resources_follow_memory() {
        let mut names = ScalarNames::default();
        let gpu = names.intern("nvidia.com/gpu").unwrap();
        let n = node(2000, 1 << 30, Resources::default());
        let mut p = pod(&[(100, 1)]);
        let mut req = Scalars::default();
        req.0[gpu] = 2;
        p.scalar_requests = req.boxed();
        let err = admit(&p, &n, Resources::default(), &Scalars::ZERO, 0, &names).unwrap_err();
        assert_eq!(err.reason, "OutOfnvidia.com/gpu");
        assert_eq!(
            err.message,
            "Pod was rejected: Node didn't have enough resource: nvidia.com/gpu, requested: 2, used: 0, capacity: 0"
        );
    }

    #[test]
    fn only_no_execute_taints_refuse() {
        let mut n = node(2000, 1 << 30, Resources::default());
        let mut p = pod(&[(100, 1)]);
        n.taints.push(taint(TaintEffect::NoSchedule));
        assert_eq!(
            admit(&p, &n, Resources::default(), &Scalars::ZERO, 0, &ScalarNames::default()),
            Ok(()),
            "NoSchedule is the scheduler's business"
        );
        n.taints.push(taint(TaintEffect::NoExecute));
        assert_eq!(
            admit(&p, &n, Resources::default(), &Scalars::ZERO, 0, &ScalarNames::default()).unwrap_err().reason,
            "TaintToleration"
        );
        p.tolerations.push(Toleration {
            key: "dedicated".into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: None,
        });
        assert_eq!(admit(&p, &n, Resources::default(), &Scalars::ZERO, 0, &ScalarNames::default()), Ok(()));
    }

    #[test]
    fn node_selector_is_checked() {
        let n = node(2000, 1 << 30, Resources::default());
        let mut p = pod(&[(100, 1)]);
        std::sync::Arc::make_mut(&mut p.template).spec.node_selector.insert("disk".into(), "ssd".into());
        let err = admit(&p, &n, Resources::default(), &Scalars::ZERO, 0, &ScalarNames::default()).unwrap_err();
        assert_eq!(err.reason, "NodeAffinity");
        assert!(err.message.ends_with("node(s) didn't match Pod's node affinity/selector"));
    }
}
