# Secrets every region shares, written to Key Vault. Values come from Terraform variables
# given in the environment (TF_VAR_…) or generated (random_password): nothing secret is in git.
# Terraform state holds them: keep the state in a private, encrypted backend.

variable "name" {
  type = string
}

variable "key_vault_id" {
  type = string
}

variable "api_key_pepper" {
  type      = string
  sensitive = true
}

variable "blob_connection" {
  type      = string
  sensitive = true
}

variable "smart_search_api_key" {
  type      = string
  sensitive = true
}

variable "llm_api_key" {
  type      = string
  sensitive = true
  default   = null
}

locals {
  values = merge({
    "api-key-pepper"         = var.api_key_pepper
    "blob-connection-string" = var.blob_connection
    "smart-search-api-key"   = var.smart_search_api_key
  }, var.llm_api_key == null ? {} : { "llm-api-key" = var.llm_api_key })
}

resource "azurerm_key_vault_secret" "shared" {
  # The names are not secret; only whether an LLM key exists is derived from a secret value.
  for_each = toset(concat(
    ["api-key-pepper", "blob-connection-string", "smart-search-api-key"],
    nonsensitive(var.llm_api_key != null) ? ["llm-api-key"] : [],
  ))
  name         = "${var.name}-${each.value}"
  value        = local.values[each.value]
  key_vault_id = var.key_vault_id
}

output "secret_ids" {
  description = "Secret name -> versionless Key Vault id (Container Apps follow new versions)."
  value       = { for name, secret in azurerm_key_vault_secret.shared : name => secret.versionless_id }
}
