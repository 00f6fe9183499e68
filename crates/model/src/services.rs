// Generated from services.toml by `cargo xtask gen`: do not edit.
//! The services of services.toml, for code that must know them: the queues
//! each one declares, which service runs a scheduled task, what the
//! end-to-end tests walk through.

/// One entry of services.toml.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    pub name: &'static str,
    /// Offset of its HTTP and metrics ports from the stack's bases.
    pub port: u16,
    /// Where its own routes (health, ready, openapi.json) live.
    pub path: &'static str,
    /// The gateway's path prefixes proxied to it.
    pub routes: &'static [&'static str],
    pub database: &'static str,
    /// The work queues it owns, consumes and alone declares (its task
    /// queue last).
    pub queues: &'static [Queue],
    /// The scheduled tasks it runs: routing keys `task.<tasks>.*`.
    pub tasks: Option<&'static str>,
    /// Its OpenAPI documents, as served through the gateway.
    pub documents: &'static [&'static str],
}

/// A work queue and the routing-key patterns bound to it on the events
/// exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queue {
    pub name: &'static str,
    pub bindings: &'static [&'static str],
}

pub const AUTH: Service = Service {
    name: "auth",
    port: 1,
    path: "/v1/auth",
    routes: &["/v1/auth", "/v1/users"],
    database: "dayone_auth",
    queues: &[Queue {
        name: "auth.tasks",
        bindings: &["task.auth.*"],
    }],
    tasks: Some("auth"),
    documents: &["/v1/auth/openapi.json"],
};

pub const NOTIFICATION: Service = Service {
    name: "notification",
    port: 2,
    path: "/v1/notifications",
    routes: &["/v1/notifications", "/v1/devices", "/v1/inbox"],
    database: "dayone_notification",
    queues: &[
        Queue {
            name: "notification.email",
            bindings: &["notification.email"],
        },
        Queue {
            name: "notification.push",
            bindings: &["notification.push"],
        },
        Queue {
            name: "sms.transactional",
            bindings: &["sms.transactional"],
        },
        Queue {
            name: "sms.promotional",
            bindings: &["sms.promotional"],
        },
        Queue {
            name: "notification.templated",
            bindings: &["notification.templated"],
        },
        Queue {
            name: "notification.user-events",
            bindings: &["user.registered", "user.*"],
        },
        Queue {
            name: "notification.tasks",
            bindings: &["task.notification.*"],
        },
    ],
    tasks: Some("notification"),
    documents: &["/v1/notifications/openapi.json"],
};

pub const SCHEDULER: Service = Service {
    name: "scheduler",
    port: 3,
    path: "/v1/scheduler",
    routes: &["/v1/scheduler"],
    database: "dayone_scheduler",
    queues: &[
        Queue {
            name: "scheduler.results",
            bindings: &["scheduler.task-result"],
        },
        Queue {
            name: "scheduler.tasks",
            bindings: &["task.scheduler.*"],
        },
    ],
    tasks: Some("scheduler"),
    documents: &["/v1/scheduler/openapi.json"],
};

pub const CORE: Service = Service {
    name: "core",
    port: 4,
    path: "/v1/core",
    routes: &["/v1/", "/v2/"],
    database: "dayone_core",
    queues: &[
        Queue {
            name: "core.search-index",
            bindings: &["product.*"],
        },
        Queue {
            name: "core.tasks",
            bindings: &["task.recommendations.*"],
        },
    ],
    tasks: Some("recommendations"),
    documents: &["/v1/openapi.json", "/v2/openapi.json"],
};

pub const OPS: Service = Service {
    name: "ops",
    port: 5,
    path: "/v1/ops",
    routes: &["/v1/ops"],
    database: "dayone_ops",
    queues: &[
        Queue {
            name: "ops.audit",
            bindings: &["audit.admin-acted"],
        },
        Queue {
            name: "ops.tasks",
            bindings: &["task.ops.*"],
        },
    ],
    tasks: Some("ops"),
    documents: &["/v1/ops/openapi.json"],
};

/// Every service, in start order.
pub const SERVICES: &[Service] = &[AUTH, NOTIFICATION, SCHEDULER, CORE, OPS];

/// The service called `name`.
pub fn service(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name == name)
}

/// The queue messages of type `kind` are routed to (bound by exact
/// key), and the service that owns it.
pub fn queue_for(kind: &str) -> Option<(&'static Service, &'static Queue)> {
    SERVICES.iter().find_map(|s| {
        s.queues
            .iter()
            .find(|q| q.bindings.contains(&kind))
            .map(|q| (s, q))
    })
}

impl Service {
    /// Its queue called `name`.
    pub fn queue(&self, name: &str) -> Option<&'static Queue> {
        self.queues.iter().find(|q| q.name == name)
    }
}
