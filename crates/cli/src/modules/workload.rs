//! The options of the four secret-free sign-ins every module has (issue 16): `--federated-token-file`,
//! `--workload-identity` (with `--service-connection-id` for Azure Pipelines), `--identity` (with
//! `--object-id` or `--resource-id` for a user-assigned identity) and `--environment-variable`. The sets
//! are auth-core's (`auth_core::workload_sets`); each module lists these options after its own.

use super::{Kind, Param};

/// `-FederatedTokenFile`.
pub(crate) const FEDERATED_TOKEN_FILE: Param = Param {
    name: "FederatedTokenFile",
    long: "federated-token-file",
    aliases: &[],
    kind: Kind::Text("PATH"),
    help: "Sign in as the application with the federated token (a JWT) in this file, read again for \
           every new token (Kubernetes rotates it); the application id and tenant come from their options \
           or AZURE_CLIENT_ID and AZURE_TENANT_ID",
};
/// `-WorkloadIdentity`.
pub(crate) const WORKLOAD_IDENTITY: Param = Param {
    name: "WorkloadIdentity",
    long: "workload-identity",
    aliases: &[],
    kind: Kind::Switch,
    help: "Sign in as the application with the federated token the environment offers: \
           AZURE_FEDERATED_TOKEN_FILE, GitHub Actions' OIDC token, or Azure Pipelines'",
};
/// `-ServiceConnectionId`.
pub(crate) const SERVICE_CONNECTION_ID: Param = Param {
    name: "ServiceConnectionId",
    long: "service-connection-id",
    aliases: &[],
    kind: Kind::Text("ID"),
    help: "The Azure Pipelines service connection of --workload-identity \
           [default: AZURESUBSCRIPTION_SERVICE_CONNECTION_ID]",
};
/// `-Identity`.
pub(crate) const IDENTITY: Param = Param {
    name: "Identity",
    long: "identity",
    aliases: &["managed-identity"],
    kind: Kind::Switch,
    help: "Sign in with the host's managed identity: system-assigned, or user-assigned with the \
           application id option, --object-id or --resource-id",
};
/// `-ObjectId`.
pub(crate) const OBJECT_ID: Param = Param {
    name: "ObjectId",
    long: "object-id",
    aliases: &[],
    kind: Kind::Text("ID"),
    help: "The object (principal) id of the user-assigned managed identity of --identity",
};
/// `-ResourceId`.
pub(crate) const RESOURCE_ID: Param = Param {
    name: "ResourceId",
    long: "resource-id",
    aliases: &[],
    kind: Kind::Text("ID"),
    help: "The Azure resource id of the user-assigned managed identity of --identity",
};
/// `-EnvironmentVariable`.
pub(crate) const ENVIRONMENT_VARIABLE: Param = Param {
    name: "EnvironmentVariable",
    long: "environment-variable",
    aliases: &[],
    kind: Kind::Switch,
    help: "Sign in as the AZURE_* variables say (AZURE_CLIENT_ID, AZURE_TENANT_ID and \
           AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE or \
           AZURE_USERNAME with AZURE_PASSWORD), as azure-identity does",
};
