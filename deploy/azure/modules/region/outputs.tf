output "api_fqdn" {
  value = azurerm_container_app.api.ingress[0].fqdn
}

output "postgres_id" {
  value = azurerm_postgresql_flexible_server.main.id
}

output "postgres_fqdn" {
  value = azurerm_postgresql_flexible_server.main.fqdn
}
