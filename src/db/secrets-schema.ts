// Kysely types of the secrets tables (migration 011b).

export interface SecretsTable {
  name: string;
  /** base64 of nonce ‖ tag ‖ AES-256-GCM ciphertext (src/secrets/cipher.ts). */
  sealed: string;
  /** The id of the key that sealed it (src/secrets/key.ts). */
  key_id: string;
  created_at: number;
  updated_at: number;
}

export interface SecretGrantsTable {
  name: string;
  script_type: string;
  created_at: number;
}

export interface SecretsSchema {
  secrets: SecretsTable;
  secret_grants: SecretGrantsTable;
}
