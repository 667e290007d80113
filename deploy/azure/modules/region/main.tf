# One region: PostgreSQL (primary or cross-region replica), Redis, the Container Apps
# environment with the API app (HTTP concurrency + CPU scale rules), the worker app (KEDA
# postgresql scale rule on the jobs queue) and the migrations job.

locals {
  # Decided from plain variables (not resource ids) so counts and for_each keys are known
  # at plan time.
  is_primary       = var.primary
  has_read_replica = !var.primary || var.local_read_replica
  write_fqdn       = local.is_primary ? azurerm_postgresql_flexible_server.main.fqdn : var.database_primary_fqdn
  read_fqdn        = local.is_primary ? (var.local_read_replica ? azurerm_postgresql_flexible_server.read_replica[0].fqdn : null) : azurerm_postgresql_flexible_server.main.fqdn
  credentials  = "${var.database_admin_login}:${urlencode(var.database_admin_password)}"
  database     = "compliance"
  # Workers and migrations connect directly (LISTEN/NOTIFY, advisory locks); the API goes
  # through the built-in PgBouncer (port 6432, transaction mode).
  direct_url = "postgresql+psycopg://${local.credentials}@${local.write_fqdn}:5432/${local.database}?sslmode=require"
  pooled_url = "postgresql+psycopg://${local.credentials}@${local.write_fqdn}:6432/${local.database}?sslmode=require"
  read_url   = !local.has_read_replica ? null : "postgresql+psycopg://${local.credentials}@${local.read_fqdn}:6432/${local.database}?sslmode=require"
  keda_conn  = "host=${local.write_fqdn} port=5432 user=${var.database_admin_login} password=${var.database_admin_password} dbname=${local.database} sslmode=require"

  plain_env = merge({
    COMPLIANCE_ENVIRONMENT                  = "production"
    COMPLIANCE_LOG__FORMAT                  = "json"
    COMPLIANCE_BLOB__BACKEND                = "azure"
    COMPLIANCE_API__REQUIRE_API_KEYS        = "true"
    COMPLIANCE_WORKER__CONCURRENCY          = tostring(var.worker_concurrency)
    COMPLIANCE_WORKER__METRICS_PORT         = "9464"
    COMPLIANCE_TRACKING__ENABLED            = var.mlflow_tracking_uri == null ? "false" : "true"
    }, var.mlflow_tracking_uri == null ? {} : {
    COMPLIANCE_TRACKING__MLFLOW_TRACKING_URI = var.mlflow_tracking_uri
  }, var.settings)

  # Environment variable -> Container App secret name, per app.
  common_secret_env = merge({
    COMPLIANCE_API__API_KEY_PEPPER           = "api-key-pepper"
    COMPLIANCE_BLOB__AZURE_CONNECTION_STRING = "blob-connection-string"
    COMPLIANCE_GTC__SMART_SEARCH_API_KEY     = "smart-search-api-key"
    COMPLIANCE_REDIS__URL                    = "redis-url"
    }, contains(keys(var.shared_secret_ids), "llm-api-key") ? { COMPLIANCE_LLM__API_KEY = "llm-api-key" } : {},
    local.has_read_replica ? { COMPLIANCE_DATABASE__READ_URL = "database-read-url" } : {}
  )
  api_secret_env = merge(local.common_secret_env, {
    COMPLIANCE_DATABASE__URL = "database-url-pooled"
  })
  worker_secret_env = merge(local.common_secret_env, {
    COMPLIANCE_DATABASE__URL            = "database-url"
    COMPLIANCE_PIPELINE__CHECKPOINT_URL = "checkpoint-url"
  })

  region_secrets = merge({
    "database-url"             = local.direct_url
    "database-url-pooled"      = local.pooled_url
    "checkpoint-url"           = replace(local.direct_url, "postgresql+psycopg://", "postgresql://")
    "keda-postgres-connection" = local.keda_conn
    "redis-url"                = "rediss://:${azurerm_redis_cache.main.primary_access_key}@${azurerm_redis_cache.main.hostname}:6380/0"
  }, local.has_read_replica ? { "database-read-url" = local.read_url } : {})
  region_secret_names = concat(
    ["database-url", "database-url-pooled", "checkpoint-url", "keda-postgres-connection", "redis-url"],
    local.has_read_replica ? ["database-read-url"] : [],
  )
  secret_ids = merge(var.shared_secret_ids, { for name, secret in azurerm_key_vault_secret.region : name => secret.versionless_id })
}

# --- PostgreSQL -----------------------------------------------------------------------------

resource "azurerm_postgresql_flexible_server" "main" {
  name                          = "${var.name}-pg"
  resource_group_name           = var.resource_group_name
  location                      = var.location
  version                       = "16"
  sku_name                      = var.postgres_sku
  storage_mb                    = var.postgres_storage_mb
  backup_retention_days         = var.postgres_backup_retention_days
  geo_redundant_backup_enabled  = local.is_primary
  administrator_login           = local.is_primary ? var.database_admin_login : null
  administrator_password        = local.is_primary ? var.database_admin_password : null
  create_mode                   = local.is_primary ? "Default" : "Replica"
  source_server_id              = var.database_replica_of
  public_network_access_enabled = true
  tags                          = var.tags

  dynamic "high_availability" {
    for_each = var.postgres_zone_redundant_ha && local.is_primary ? [1] : []
    content {
      mode = "ZoneRedundant"
    }
  }

  lifecycle {
    ignore_changes = [zone, high_availability[0].standby_availability_zone]
  }
}

# Read-only queries (listings, analytics) go here: COMPLIANCE_DATABASE__READ_URL.
resource "azurerm_postgresql_flexible_server" "read_replica" {
  count               = local.is_primary && var.local_read_replica ? 1 : 0
  name                = "${var.name}-pg-read"
  resource_group_name = var.resource_group_name
  location            = var.location
  version             = "16"
  sku_name            = var.postgres_sku
  storage_mb          = var.postgres_storage_mb
  create_mode         = "Replica"
  source_server_id    = azurerm_postgresql_flexible_server.main.id
  tags                = var.tags
}

# Created on the primary only; replicas receive it by replication.
resource "azurerm_postgresql_flexible_server_database" "app" {
  count     = local.is_primary ? 1 : 0
  name      = local.database
  server_id = azurerm_postgresql_flexible_server.main.id
  charset   = "UTF8"
  collation = "en_US.utf8"
}

# Built-in PgBouncer (port 6432, transaction pooling): the API's connections go through it with
# database.disable_prepared_statements=true.
resource "azurerm_postgresql_flexible_server_configuration" "pgbouncer" {
  # Static keys: the ids are only known after apply.
  for_each = merge(
    { main = azurerm_postgresql_flexible_server.main.id },
    local.is_primary && var.local_read_replica ? { read = azurerm_postgresql_flexible_server.read_replica[0].id } : {},
  )
  name      = "pgbouncer.enabled"
  server_id = each.value
  value     = "true"
}

resource "azurerm_postgresql_flexible_server_firewall_rule" "azure_services" {
  count            = local.is_primary ? 1 : 0
  name             = "allow-azure-services"
  server_id        = azurerm_postgresql_flexible_server.main.id
  start_ip_address = "0.0.0.0"
  end_ip_address   = "0.0.0.0"
}

# --- Redis ------------------------------------------------------------------------------------

resource "azurerm_redis_cache" "main" {
  name                 = "${var.name}-redis"
  resource_group_name  = var.resource_group_name
  location             = var.location
  sku_name             = var.redis_sku.name
  family               = var.redis_sku.family
  capacity             = var.redis_sku.capacity
  non_ssl_port_enabled = false
  minimum_tls_version  = "1.2"
  tags                 = var.tags

  redis_configuration {
    maxmemory_policy = "allkeys-lru"
  }
}

# --- Secrets ----------------------------------------------------------------------------------

resource "azurerm_key_vault_secret" "region" {
  for_each     = toset(local.region_secret_names)
  name         = "${var.name}-${each.value}"
  value        = local.region_secrets[each.value]
  key_vault_id = var.key_vault_id
}

# --- Container Apps ---------------------------------------------------------------------------

resource "azurerm_container_app_environment" "main" {
  name                       = "${var.name}-apps"
  resource_group_name        = var.resource_group_name
  location                   = var.location
  log_analytics_workspace_id = var.log_analytics_workspace_id
  tags                       = var.tags
}

resource "azurerm_container_app" "api" {
  name                         = "${var.name}-api"
  resource_group_name          = var.resource_group_name
  container_app_environment_id = azurerm_container_app_environment.main.id
  revision_mode                = "Single"
  tags                         = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [var.identity_id]
  }

  dynamic "secret" {
    for_each = toset(values(local.api_secret_env))
    content {
      name                = secret.value
      key_vault_secret_id = local.secret_ids[secret.value]
      identity            = var.identity_id
    }
  }

  ingress {
    external_enabled = true
    target_port      = 8000
    transport        = "auto"
    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = var.api_replicas.min
    max_replicas = var.api_replicas.max

    container {
      name   = "api"
      image  = var.image
      args   = ["api"]
      cpu    = var.app_cpu
      memory = var.app_memory

      dynamic "env" {
        for_each = local.plain_env
        content {
          name  = env.key
          value = env.value
        }
      }
      dynamic "env" {
        for_each = local.api_secret_env
        content {
          name        = env.key
          secret_name = env.value
        }
      }

      startup_probe {
        transport               = "HTTP"
        port                    = 8000
        path                    = "/health/live"
        failure_count_threshold = 30
      }
      liveness_probe {
        transport = "HTTP"
        port      = 8000
        path      = "/health/live"
      }
      readiness_probe {
        transport = "HTTP"
        port      = 8000
        path      = "/health/ready"
      }
    }

    # The reference architecture: 100 concurrent requests per replica, or CPU above 70 %.
    http_scale_rule {
      name                = "http-concurrency"
      concurrent_requests = "100"
    }
    custom_scale_rule {
      name             = "cpu"
      custom_rule_type = "cpu"
      metadata = {
        type  = "Utilization"
        value = "70"
      }
    }
  }
}

resource "azurerm_container_app" "worker" {
  name                         = "${var.name}-worker"
  resource_group_name          = var.resource_group_name
  container_app_environment_id = azurerm_container_app_environment.main.id
  revision_mode                = "Single"
  tags                         = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [var.identity_id]
  }

  dynamic "secret" {
    for_each = toset(concat(values(local.worker_secret_env), ["keda-postgres-connection"]))
    content {
      name                = secret.value
      key_vault_secret_id = local.secret_ids[secret.value]
      identity            = var.identity_id
    }
  }

  template {
    min_replicas = var.worker_replicas.min
    max_replicas = var.worker_replicas.max

    container {
      name   = "worker"
      image  = var.image
      args   = ["worker"]
      cpu    = var.app_cpu
      memory = var.app_memory

      dynamic "env" {
        for_each = local.plain_env
        content {
          name  = env.key
          value = env.value
        }
      }
      dynamic "env" {
        for_each = local.worker_secret_env
        content {
          name        = env.key
          secret_name = env.value
        }
      }

      liveness_probe {
        transport = "HTTP"
        port      = 9464
        path      = "/metrics"
      }
    }

    # KEDA postgresql scaler: jobs waiting or running / jobs per worker.
    custom_scale_rule {
      name             = "jobs-queue"
      custom_rule_type = "postgresql"
      metadata = {
        query            = "SELECT count(*) FROM jobs WHERE status IN ('queued', 'processing')"
        targetQueryValue = tostring(var.worker_concurrency)
      }
      authentication {
        secret_name       = "keda-postgres-connection"
        trigger_parameter = "connection"
      }
    }
  }
}

# `compliance migrate`, started by the release pipeline before the apps' new revision:
#   az containerapp job start -n <name>-migrate -g <resource group>
resource "azurerm_container_app_job" "migrate" {
  count                        = local.is_primary ? 1 : 0
  name                         = "${var.name}-migrate"
  resource_group_name          = var.resource_group_name
  location                     = var.location
  container_app_environment_id = azurerm_container_app_environment.main.id
  replica_timeout_in_seconds   = 600
  replica_retry_limit          = 2
  tags                         = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [var.identity_id]
  }

  manual_trigger_config {
    parallelism              = 1
    replica_completion_count = 1
  }

  dynamic "secret" {
    for_each = toset(values(local.worker_secret_env))
    content {
      name                = secret.value
      key_vault_secret_id = local.secret_ids[secret.value]
      identity            = var.identity_id
    }
  }

  template {
    container {
      name   = "migrate"
      image  = var.image
      args   = ["migrate"]
      cpu    = 0.5
      memory = "1Gi"

      dynamic "env" {
        for_each = local.plain_env
        content {
          name  = env.key
          value = env.value
        }
      }
      dynamic "env" {
        for_each = local.worker_secret_env
        content {
          name        = env.key
          secret_name = env.value
        }
      }
    }
  }
}
