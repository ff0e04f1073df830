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
