//! Signing in and what follows: running the sign-in on a runtime built only now (Ctrl-C cancels it,
//! exit 130), saving and printing the context, and `context`, `token` and `disconnect` for a module.

use std::time::SystemTime;

use auth_core::time::epoch_seconds;
use auth_core::{
    ClientCredential, ClientId, Cloud, Environment, Session, SessionOptions, SignInMethod, SignInRequest,
    TokenResult,
};
use clap::ArgMatches;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::App;
use crate::connect::{Bound, Secrets};
use crate::exit::{Failure, usage};
use crate::modules::{self, Module};
use crate::output::{self, Format};

/// The default public client of PartnerCenter and SecMgmt (the Azure CLI's).
const AZURE_CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/// Connect-Entra's default client, "Microsoft Graph PowerShell".
const GRAPH_POWERSHELL: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// A module's current connection, as saved and printed: the PowerShell context's property names, and
/// what `token` needs to get a token silently. Never a secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Context {
    /// Who signed in.
    pub(crate) account: ContextAccount,
    /// The environment's name.
    pub(crate) environment: String,
    /// The tenant the token is for.
    pub(crate) tenant_id: String,
    /// The rest.
    pub(crate) extended_properties: Extended,
}

/// The account of a [`Context`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ContextAccount {
    /// The user name, or the application id.
    pub(crate) id: String,
    /// `User`, `ServicePrincipal` or `AccessToken`.
    #[serde(rename = "Type")]
    pub(crate) kind: String,
}

/// What a later `token` needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Extended {
    /// The client the tokens were issued to.
    pub(crate) application_id: String,
    /// The authority host (`https://login.microsoftonline.com`).
    pub(crate) authority_host: String,
    /// `{uid}.{utid}` of a user; none for an app.
    pub(crate) home_account_id: Option<String>,
    /// The scopes of the access token.
    pub(crate) scopes: Vec<String>,
    /// The parameter set the sign-in used.
    pub(crate) parameter_set: String,
}

impl Context {
    fn table(&self) -> String {
        output::table(
            &["Account", "Environment", "TenantId"],
            &[vec![
                self.account.id.clone(),
                self.environment.clone(),
                self.tenant_id.clone(),
            ]],
        )
    }
}

/// Signs in with the bound options and prints the new context.
pub(crate) fn sign_in(
    app: &App,
    module: &'static Module,
    bound: &Bound<'_>,
    environment: Environment,
    secrets: Secrets,
) -> Result<(), Failure> {
    let request = request(module, bound, environment, secrets)?;
    let session = Session::new(SessionOptions {
        http: auth_core::HttpOptions {
            env: app.env.clone(),
            ..Default::default()
        },
    });
    let result = block_on_cancellable(session.sign_in(&request))?;
    let context = context_of(&request, &result, bound);
    print_context(app.format, &context)
}

/// Runs the future on a current-thread runtime built for it; Ctrl-C cancels it.
fn block_on_cancellable<T>(future: impl Future<Output = auth_core::Result<T>>) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Failed(format!("starting the async runtime: {e}")))?;
    runtime.block_on(async {
        tokio::select! {
            result = future => result.map_err(Failure::from),
            _ = tokio::signal::ctrl_c() => Err(Failure::Cancelled("cancelled".into())),
        }
    })
}

fn not_yet(module: &Module, bound: &Bound<'_>) -> Failure {
    Failure::Failed(format!(
        "{} sign-in with parameter set {} is not available in this build yet",
        module.title, bound.set.name
    ))
}

fn client(bound: &Bound<'_>, name: &str, default: &'static str) -> Result<ClientId, Failure> {
    match bound.text(name) {
        Some(id) => ClientId::parse(id).map_err(|_| {
            usage(format!(
                "--{}: '{id}' is not an application id (a GUID)",
                bound.cmdlet.long_of(name)
            ))
        }),
        None => Ok(ClientId::from_static(default)),
    }
}

fn resource(environment: &Environment, module: &Module) -> Result<String, Failure> {
    let url = match module.name {
        "partnercenter" => environment.partner_center.clone().ok_or_else(|| {
            Failure::Failed(format!(
                "environment {} has no Partner Center API",
                environment.name
            ))
        })?,
        _ => environment.graph.clone(),
    };
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The sign-in request a bound invocation asks for.
// Stand-in until the product crates' `connect` is wired in; the parameter sets and defaults are theirs.
fn request(
    module: &'static Module,
    bound: &Bound<'_>,
    environment: Environment,
    secrets: Secrets,
) -> Result<SignInRequest, Failure> {
    let resource = resource(&environment, module)?;
    let delegated = if module.name == "partnercenter" {
        format!("{resource}/user_impersonation")
    } else {
        format!("{resource}/.default")
    };
    let app_only = format!("{resource}/.default");
    let default_client = if module.name == "entra" {
        GRAPH_POWERSHELL
    } else {
        AZURE_CLI
    };
    let scopes_given = bound.list("Scopes");
    let scopes = |fallback: &str| -> Vec<String> {
        if scopes_given.is_empty() {
            vec![fallback.to_owned()]
        } else {
            scopes_given
                .iter()
                .map(|s| {
                    if s.contains('/') || s.contains(':') {
                        s.clone()
                    } else {
                        format!("{}/{s}", environment.graph.as_str().trim_end_matches('/'))
                    }
                })
                .collect()
        }
    };
    let secret = |name: &str| secrets.get(name).cloned();
    let (client_id, scopes, method) = match bound.set.name {
        "AccessToken" => {
            let token = secret("AccessToken").or_else(|| secret("MsAccessToken"));
            let Some(token) = token else {
                return Err(not_yet(module, bound));
            };
            let client = client(bound, "ApplicationId", default_client)?;
            (
                client,
                scopes(&delegated),
                SignInMethod::AccessToken(auth_core::AccessToken::new(token.secret())),
            )
        }
        "RefreshToken" => {
            let Some(token) = secret("RefreshToken") else {
                return Err(not_yet(module, bound));
            };
            let credential = secrets
                .credential
                .as_ref()
                .map(|c| ClientCredential::secret(c.password.secret()));
            (
                client(bound, "ApplicationId", default_client)?,
                scopes(&delegated),
                SignInMethod::RefreshToken {
                    token: auth_core::RefreshToken::new(token.secret()),
                    credential,
                },
            )
        }
        "ServicePrincipal" => {
            let Some(credential) = &secrets.credential else {
                return Err(not_yet(module, bound));
            };
            let client = match bound.text("ApplicationId") {
                Some(_) => client(bound, "ApplicationId", default_client)?,
                None => ClientId::parse(&credential.username).map_err(|_| {
                    usage(format!(
                        "--credential: '{}' is not an application id (a GUID), which a service principal needs",
                        credential.username
                    ))
                })?,
            };
            let method = SignInMethod::Application(ClientCredential::secret(credential.password.secret()));
            (client, scopes(&app_only), method)
        }
        "AppSecret" => {
            let Some(secret) = secret("ClientSecret") else {
                return Err(not_yet(module, bound));
            };
            let method = SignInMethod::Application(ClientCredential::secret(secret.secret()));
            (
                client(bound, "ClientID", default_client)?,
                vec![app_only.clone()],
                method,
            )
        }
        "UsernamePassword" | "UserCredential" if secrets.credential.is_some() => {
            let Some(credential) = secrets.credential.clone() else {
                return Err(not_yet(module, bound));
            };
            let client = client(bound, "ClientID", default_client)?;
            (client, scopes(&delegated), SignInMethod::Password(credential))
        }
        _ => return Err(not_yet(module, bound)),
    };
    Ok(SignInRequest {
        environment,
        tenant: bound.tenant()?,
        client_id,
        scopes,
        method,
    })
}

fn context_of(request: &SignInRequest, result: &TokenResult, bound: &Bound<'_>) -> Context {
    let (id, kind) = match (&result.account, &request.method) {
        (Some(account), _) => (account.username.clone(), "User"),
        (None, SignInMethod::AccessToken(_)) => (request.client_id.to_string(), "AccessToken"),
        (None, _) => (request.client_id.to_string(), "ServicePrincipal"),
    };
    Context {
        account: ContextAccount {
            id,
            kind: kind.to_owned(),
        },
        environment: request.environment.name.clone(),
        tenant_id: result.tenant_id.clone(),
        extended_properties: Extended {
            application_id: request.client_id.to_string(),
            authority_host: request
                .environment
                .authority_host
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            home_account_id: result.home_account_id().map(str::to_owned),
            scopes: result.scopes.clone(),
            parameter_set: bound.set.name.to_owned(),
        },
    }
}

fn print_context(format: Format, context: &Context) -> Result<(), Failure> {
    match format {
        Format::Table => output::print(&context.table()),
        Format::Json => output::print(&output::json(
            &serde_json::to_value(context).unwrap_or(Value::Null),
        )),
    }
}

fn not_connected(module: &Module) -> Failure {
    Failure::Failed(format!(
        "not connected to {}: run `msconnect {} connect` first",
        module.title, module.name
    ))
}

/// `context`: prints the saved context.
pub(crate) fn context(_app: &App, module: &'static Module) -> Result<(), Failure> {
    Err(not_connected(module))
}

/// `token`: prints an access token for the current context.
pub(crate) fn token(_app: &App, module: &'static Module, _matches: &ArgMatches) -> Result<(), Failure> {
    let _ = (
        epoch_seconds(SystemTime::now()),
        Cloud::default(),
        modules::WHAT_IF,
    );
    Err(not_connected(module))
}

/// `disconnect`: forgets the context and its tokens.
pub(crate) fn disconnect(_app: &App, module: &'static Module, _matches: &ArgMatches) -> Result<(), Failure> {
    Err(not_connected(module))
}
