# Resources one deployment shares across its regions: blob storage (with lifecycle rules that
# implement the retention settings), Key Vault with the app's managed identity, Log Analytics
# and Application Insights.

data "azurerm_client_config" "current" {}

resource "azurerm_user_assigned_identity" "app" {
  name                = "${var.name}-app"
  resource_group_name = var.resource_group_name
  location            = var.location
  tags                = var.tags
}

resource "azurerm_log_analytics_workspace" "main" {
  name                = "${var.name}-logs"
  resource_group_name = var.resource_group_name
  location            = var.location
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = var.tags
}

resource "azurerm_application_insights" "main" {
  name                = "${var.name}-appinsights"
  resource_group_name = var.resource_group_name
  location            = var.location
  workspace_id        = azurerm_log_analytics_workspace.main.id
  application_type    = "web"
  tags                = var.tags
}

resource "azurerm_storage_account" "main" {
  name                            = substr(replace("${var.name}blobs", "-", ""), 0, 24)
  resource_group_name             = var.resource_group_name
  location                        = var.location
  account_tier                    = "Standard"
  account_replication_type        = var.storage_replication
  access_tier                     = "Hot"
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = true
  tags                            = var.tags

  blob_properties {
    versioning_enabled = true
    delete_retention_policy {
      days = 14
    }
    container_delete_retention_policy {
      days = 14
    }
  }
}

resource "azurerm_storage_container" "app" {
  name                  = var.blob_container
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

# Hot -> cool -> delete. Prefixes are "<container>/<blob prefix>" (blob.articles_prefix …).
resource "azurerm_storage_management_policy" "retention" {
  storage_account_id = azurerm_storage_account.main.id

  rule {
    name    = "articles"
    enabled = true
    filters {
      prefix_match = ["${var.blob_container}/articles/"]
      blob_types   = ["blockBlob"]
    }
    actions {
      base_blob {
        tier_to_cool_after_days_since_modification_greater_than = min(var.cool_after_days, var.articles_days - 1)
        delete_after_days_since_modification_greater_than       = var.articles_days
      }
      version {
        delete_after_days_since_creation = 14
      }
    }
  }

  rule {
    name    = "gtc-documents"
    enabled = true
    filters {
      prefix_match = ["${var.blob_container}/gtc/"]
      blob_types   = ["blockBlob"]
    }
    actions {
      base_blob {
        delete_after_days_since_modification_greater_than = var.gtc_pdf_days
      }
      version {
        delete_after_days_since_creation = 14
      }
    }
  }

  # Reports are kept (results are the audit trail); only their tier changes.
  rule {
    name    = "reports"
    enabled = true
    filters {
      prefix_match = ["${var.blob_container}/reports/"]
      blob_types   = ["blockBlob"]
    }
    actions {
      base_blob {
        tier_to_cool_after_days_since_modification_greater_than = var.cool_after_days
      }
    }
  }
}

resource "azurerm_key_vault" "main" {
  name                       = substr("${var.name}-kv", 0, 24)
  resource_group_name        = var.resource_group_name
  location                   = var.location
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = var.key_vault_sku
  enable_rbac_authorization  = true
  purge_protection_enabled   = true
  soft_delete_retention_days = 30
  tags                       = var.tags
}

# The Container Apps read their secrets from Key Vault with the app identity.
resource "azurerm_role_assignment" "app_secrets" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.app.principal_id
}

# Whoever runs Terraform writes the secrets it generates (database URL, pepper …).
resource "azurerm_role_assignment" "deployer_secrets" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}
