output "identity_id" {
  value = azurerm_user_assigned_identity.app.id
}

output "identity_client_id" {
  value = azurerm_user_assigned_identity.app.client_id
}

output "log_analytics_workspace_id" {
  value = azurerm_log_analytics_workspace.main.id
}

output "application_insights_connection_string" {
  value     = azurerm_application_insights.main.connection_string
  sensitive = true
}

output "key_vault_id" {
  value = azurerm_key_vault.main.id
}

output "key_vault_uri" {
  value = azurerm_key_vault.main.vault_uri
}

output "blob_account_url" {
  value = azurerm_storage_account.main.primary_blob_endpoint
}

output "blob_container" {
  value = azurerm_storage_container.app.name
}

output "deployer_can_write_secrets" {
  description = "Depend on this before writing Key Vault secrets."
  value       = azurerm_role_assignment.deployer_secrets.id
}

output "blob_connection_string" {
  description = "The app authenticates to Blob Storage with a connection string (kept in Key Vault)."
  value       = azurerm_storage_account.main.primary_connection_string
  sensitive   = true
}
