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
  hooks: HooksTable;
  hook_deliveries: HookDeliveriesTable;
  hook_bodies: HookBodiesTable;
}

/** Webhook triggers (migration 011c). */
export interface HooksTable {
  /** "HK" + random: names the hook in lists and `qntx hooks rm`; not the URL's secret. */
  id: string;
  script_type: string;
  /** SHA-256 (hex) of the URL's secret id: the id itself is shown once and never stored. */
  token_hash: string;
  /** The HMAC-SHA256 signing secret, sealed with the secrets key (null: deliveries are not signed). */
  signing_sealed: string | null;
  signing_key_id: string | null;
  /** JSON array of lower-case header names passed to the run as ix.headers. */
  headers: string;
  rate_per_minute: number;
  created_at: number;
  last_delivery_at: number | null;
  delivery_count: number;
}

export interface HookDeliveriesTable {
  id: string;
  hook_id: string;
  /** The delivery id header, or this row's id when there was none (unique per hook). */
  delivery_key: string;
  delivery_id: string | null;
  execution_id: string;
  received_at: number;
  /** UTF-8 bytes of the job payload the delivery queued (its body and headers): counted against the hook's quota (migration 012). */
  bytes: number;
}

/** Signed bodies a hook received in the last day, for de-duplication (migration 012). */
export interface HookBodiesTable {
  hook_id: string;
  /** SHA-256 (hex) of the body's HMAC: the HMAC itself would be a valid signature to replay. */
  body_hash: string;
  /** The execution of the first delivery of this body. */
  execution_id: string;
  received_at: number;
}
