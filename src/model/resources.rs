//! Resource amounts: CPU in millicores, memory in bytes, and a pod count.

use std::ops::{Add, AddAssign, Sub, SubAssign};

/// Requests counted for scoring when a container omits a cpu request.
/// Upstream: pkg/scheduler/util/pod_resources.go (DefaultMilliCPURequest).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// Requests counted for scoring when a container omits a memory request (200 MiB).
/// Upstream: pkg/scheduler/util/pod_resources.go (DefaultMemoryRequest).
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// A bundle of resource amounts: a pod's request, a node's allocatable or its sum of requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Resources {
    pub cpu_millis: i64,
    pub memory_bytes: i64,
    pub pods: i64,
}

impl Resources {
    pub const fn new(cpu_millis: i64, memory_bytes: i64, pods: i64) -> Self {
        Resources { cpu_millis, memory_bytes, pods }
    }
}

impl Add for Resources {
    type Output = Resources;
    fn add(self, o: Resources) -> Resources {
        Resources::new(self.cpu_millis + o.cpu_millis, self.memory_bytes + o.memory_bytes, self.pods + o.pods)
    }
}

impl AddAssign for Resources {
    fn add_assign(&mut self, o: Resources) {
        *self = *self + o;
    }
}

impl Sub for Resources {
    type Output = Resources;
    fn sub(self, o: Resources) -> Resources {
        Resources::new(self.cpu_millis - o.cpu_millis, self.memory_bytes - o.memory_bytes, self.pods - o.pods)
    }
}

impl SubAssign for Resources {
    fn sub_assign(&mut self, o: Resources) {
        *self = *self - o;
    }
}

/// How many distinct scalar resources (`ephemeral-storage`, `hugepages-<size>`, extended
/// resources such as `nvidia.com/gpu`) one run may name; slot 0 is `ephemeral-storage`.
pub const MAX_SCALAR_RESOURCES: usize = 16;

/// The name of slot 0 of every run's [`ScalarNames`].
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";

/// Amounts of a run's scalar resources, indexed by its [`ScalarNames`]: a container's or a
/// pod's requests, a node's allocatable or the sum of its pods' requests. Kept beside
/// [`Resources`] (and only where some amount is not zero) so that cpu, memory and pods stay
/// compact on the scheduler's hot path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scalars(pub [i64; MAX_SCALAR_RESOURCES]);

impl Scalars {
    pub const ZERO: Scalars = Scalars([0; MAX_SCALAR_RESOURCES]);

    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|v| *v == 0)
    }

    /// `Some(boxed)` unless every amount is zero: how pods and nodes hold them.
    pub fn boxed(self) -> Option<Box<Scalars>> {
        (!self.is_zero()).then(|| Box::new(self))
    }
}

impl Add for Scalars {
    type Output = Scalars;
    fn add(mut self, o: Scalars) -> Scalars {
        self += o;
        self
    }
}

impl AddAssign for Scalars {
    fn add_assign(&mut self, o: Scalars) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a += b;
        }
    }
}

impl Sub for Scalars {
    type Output = Scalars;
    fn sub(mut self, o: Scalars) -> Scalars {
        self -= o;
        self
    }
}

impl SubAssign for Scalars {
    fn sub_assign(&mut self, o: Scalars) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a -= b;
        }
    }
}

/// The run-wide registry of scalar resource names, built while the scenario loads (slot
/// 0 is `ephemeral-storage`, the others in the order the scenario first names them),
/// with NodeResourcesFit's reason for each ("Insufficient nvidia.com/gpu").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalarNames {
    names: Vec<String>,
    reasons: Vec<String>,
}

impl Default for ScalarNames {
    fn default() -> Self {
        ScalarNames { names: vec![EPHEMERAL_STORAGE.to_string()], reasons: vec![insufficient(EPHEMERAL_STORAGE)] }
    }
}

/// Upstream: pkg/scheduler/framework/plugins/noderesources/fit.go (fitsRequest: "Insufficient %v").
fn insufficient(name: &str) -> String {
    format!("Insufficient {name}")
}

impl ScalarNames {
    /// The slot of `name`, registering it if new; `None` when the registry is full.
    pub fn intern(&mut self, name: &str) -> Option<usize> {
        if let Some(i) = self.index(name) {
            return Some(i);
        }
        if self.names.len() == MAX_SCALAR_RESOURCES {
            return None;
        }
        self.names.push(name.to_string());
        self.reasons.push(insufficient(name));
        Some(self.names.len() - 1)
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn name(&self, slot: usize) -> &str {
        &self.names[slot]
    }

    /// "Insufficient <name>".
    pub fn reason(&self, slot: usize) -> &str {
        &self.reasons[slot]
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_names_start_with_ephemeral_storage_and_are_bounded() {
        let mut names = ScalarNames::default();
        assert_eq!(names.intern("ephemeral-storage"), Some(0));
        assert_eq!(names.intern("nvidia.com/gpu"), Some(1));
        assert_eq!(names.intern("nvidia.com/gpu"), Some(1), "interned once");
        assert_eq!(names.reason(1), "Insufficient nvidia.com/gpu");
        for i in 2..MAX_SCALAR_RESOURCES {
            assert_eq!(names.intern(&format!("example.com/r{i}")), Some(i));
        }
        assert_eq!(names.intern("example.com/one-too-many"), None);
        assert_eq!(names.len(), MAX_SCALAR_RESOURCES);
    }

    #[test]
    fn scalars_add_and_box_only_when_not_zero() {
        let mut a = Scalars::default();
        assert!(a.boxed().is_none());
        a.0[3] = 2;
        let b = a + a;
        assert_eq!(b.0[3], 4);
        assert_eq!(b - a, a);
        assert_eq!(*a.boxed().unwrap(), a);
    }
}
