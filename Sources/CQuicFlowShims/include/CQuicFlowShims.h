// The little C that QUICTransport needs beyond ngtcp2's own API: the
// variadic log trampoline and GnuTLS setup that would be long-winded and
// pointer-heavy in Swift. Every function reports failure through its return
// value and a caller-provided message buffer; none of them aborts.
#ifndef QUICFLOW_SHIMS_H
#define QUICFLOW_SHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <gnutls/gnutls.h>

/// Turns on ngtcp2's log for a connection: points `settings->log_printf`
/// at the trampoline (a variadic function pointer Swift cannot name).
void qf_settings_enable_log(ngtcp2_settings *settings);

/// Receives one formatted ngtcp2 log line; `user_data` is the connection's.
typedef void (*qf_log_sink)(void *user_data, const char *line);

/// Installs the process-wide sink used by `qf_ngtcp2_log_printf`.
void qf_set_log_sink(qf_log_sink sink);

/// An `ngtcp2_printf` that formats the line and hands it to the sink.
void qf_ngtcp2_log_printf(void *user_data, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/// What a TLS context is built from. Strings are copied where kept.
typedef struct qf_tls_config {
  int is_server;
  /// PEM chain and key: required for a server, optional (mTLS) for a client.
  const char *certificate_file;
  const char *private_key_file;
  /// PEM trust anchors: the server's CA for a client, the client CA for a
  /// server.
  const char *ca_file;
  /// Client only: also trust the system store.
  int use_system_trust;
  /// Client: verify the server's chain and host name. Server: require and
  /// verify a client certificate.
  int verify_peer;
  /// Server only: ask for a client certificate but accept its absence.
  int request_client_certificate;
  const char *const *alpn;
  size_t alpn_count;
} qf_tls_config;

typedef struct qf_tls_context qf_tls_context;

/// Loads credentials once per endpoint. Returns 0, or a negative GnuTLS
/// error with a message naming the file in `err`.
int qf_tls_context_new(qf_tls_context **out, const qf_tls_config *config,
                       char *err, size_t errlen);
void qf_tls_context_free(qf_tls_context *ctx);

/// Creates a TLS 1.3-only session for one QUIC connection. `peer_name` is
/// the host to verify (client) and, unless it is an IP literal, the SNI.
int qf_tls_session_new(gnutls_session_t *out, const qf_tls_context *ctx,
                       ngtcp2_crypto_conn_ref *conn_ref, const char *peer_name,
                       char *err, size_t errlen);

/// Copies the verified peer certificate's subject CN and its SAN DNS names
/// (newline-separated). Returns 0, 1 when the peer sent no certificate, or a
/// negative GnuTLS error.
int qf_tls_peer_identity(gnutls_session_t session, char *cn, size_t cnlen,
                         char *dns_names, size_t dns_names_len);

/// Describes why a handshake failed: the GnuTLS error, the alert, and the
/// certificate verification status when there is one.
void qf_tls_describe_failure(gnutls_session_t session, int tls_error,
                             uint8_t alert, char *out, size_t outlen);

#endif /* QUICFLOW_SHIMS_H */
