#include "CQuicFlowShims.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <gnutls/x509.h>

static _Atomic(qf_log_sink) log_sink = NULL;

void qf_set_log_sink(qf_log_sink sink) { atomic_store(&log_sink, sink); }

void qf_ngtcp2_log_printf(void *user_data, const char *format, ...) {
  qf_log_sink sink = atomic_load(&log_sink);
  if (sink == NULL) {
    return;
  }
  char line[1024];
  va_list ap;
  va_start(ap, format);
  vsnprintf(line, sizeof(line), format, ap);
  va_end(ap);
  sink(user_data, line);
}

void qf_settings_enable_log(ngtcp2_settings *settings) {
  settings->log_printf = qf_ngtcp2_log_printf;
}

struct qf_tls_context {
  gnutls_certificate_credentials_t credentials;
  int is_server;
  int verify_peer;
  int request_client_certificate;
  gnutls_datum_t *alpn;
  size_t alpn_count;
};

// TLS 1.3 only, with the AEADs QUIC defines; compatibility mode must be off
// for QUIC (RFC 9001, section 8.4).
static const char priority[] =
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:"
    "-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:"
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:"
    "+GROUP-SECP521R1";

static int fail(char *err, size_t errlen, int rv, const char *what,
                const char *file) {
  if (file != NULL) {
    snprintf(err, errlen, "%s '%s': %s", what, file, gnutls_strerror(rv));
  } else {
    snprintf(err, errlen, "%s: %s", what, gnutls_strerror(rv));
  }
  return rv < 0 ? rv : GNUTLS_E_INTERNAL_ERROR;
}

void qf_tls_context_free(qf_tls_context *ctx) {
  if (ctx == NULL) {
    return;
  }
  if (ctx->credentials != NULL) {
    gnutls_certificate_free_credentials(ctx->credentials);
  }
  for (size_t i = 0; i < ctx->alpn_count; ++i) {
    free(ctx->alpn[i].data);
  }
  free(ctx->alpn);
  free(ctx);
}

int qf_tls_context_new(qf_tls_context **out, const qf_tls_config *config,
                       char *err, size_t errlen) {
  int rv;
  qf_tls_context *ctx = calloc(1, sizeof(*ctx));
  if (ctx == NULL) {
    return fail(err, errlen, GNUTLS_E_MEMORY_ERROR, "allocating TLS context",
                NULL);
  }
  ctx->is_server = config->is_server;
  ctx->verify_peer = config->verify_peer;
  ctx->request_client_certificate = config->request_client_certificate;

  rv = gnutls_certificate_allocate_credentials(&ctx->credentials);
  if (rv != 0) {
    qf_tls_context_free(ctx);
    return fail(err, errlen, rv, "allocating TLS credentials", NULL);
  }

  if (config->use_system_trust) {
    rv = gnutls_certificate_set_x509_system_trust(ctx->credentials);
    if (rv < 0) {
      qf_tls_context_free(ctx);
      return fail(err, errlen, rv, "loading the system trust store", NULL);
    }
  }

  if (config->ca_file != NULL) {
    rv = gnutls_certificate_set_x509_trust_file(
        ctx->credentials, config->ca_file, GNUTLS_X509_FMT_PEM);
    if (rv < 0) {
      qf_tls_context_free(ctx);
      return fail(err, errlen, rv, "loading CA file", config->ca_file);
    }
    if (rv == 0) {
      qf_tls_context_free(ctx);
      snprintf(err, errlen,
               "CA file '%s' holds no PEM certificate; give a file with at "
               "least one '-----BEGIN CERTIFICATE-----' block",
               config->ca_file);
      return GNUTLS_E_NO_CERTIFICATE_FOUND;
    }
  }

  if (config->certificate_file != NULL && config->private_key_file != NULL) {
    rv = gnutls_certificate_set_x509_key_file(
        ctx->credentials, config->certificate_file, config->private_key_file,
        GNUTLS_X509_FMT_PEM);
    if (rv < 0) {
      qf_tls_context_free(ctx);
      char what[512];
      snprintf(what, sizeof(what), "loading key '%s' with certificate",
               config->private_key_file);
      return fail(err, errlen, rv, what, config->certificate_file);
    }
  }

  if (config->alpn_count > 0) {
    ctx->alpn = calloc(config->alpn_count, sizeof(gnutls_datum_t));
    if (ctx->alpn == NULL) {
      qf_tls_context_free(ctx);
      return fail(err, errlen, GNUTLS_E_MEMORY_ERROR, "allocating ALPN", NULL);
    }
    for (size_t i = 0; i < config->alpn_count; ++i) {
      size_t len = strlen(config->alpn[i]);
      ctx->alpn[i].data = malloc(len + 1);
      if (ctx->alpn[i].data == NULL) {
        qf_tls_context_free(ctx);
        return fail(err, errlen, GNUTLS_E_MEMORY_ERROR, "allocating ALPN",
                     NULL);
      }
      memcpy(ctx->alpn[i].data, config->alpn[i], len + 1);
      ctx->alpn[i].size = (unsigned int)len;
      ctx->alpn_count = i + 1;
    }
  }

  *out = ctx;
  return 0;
}

static int is_ip_literal(const char *name) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, name, buf) == 1 ||
         inet_pton(AF_INET6, name, buf) == 1;
}

int qf_tls_session_new(gnutls_session_t *out, const qf_tls_context *ctx,
                       ngtcp2_crypto_conn_ref *conn_ref, const char *peer_name,
                       char *err, size_t errlen) {
  gnutls_session_t session;
  unsigned int flags = GNUTLS_ENABLE_EARLY_DATA | GNUTLS_NO_END_OF_EARLY_DATA;
  flags |= ctx->is_server ? (GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET)
                          : GNUTLS_CLIENT;
  int rv = gnutls_init(&session, flags);
  if (rv != 0) {
    return fail(err, errlen, rv, "gnutls_init", NULL);
  }

  rv = ctx->is_server ? ngtcp2_crypto_gnutls_configure_server_session(session)
                      : ngtcp2_crypto_gnutls_configure_client_session(session);
  if (rv != 0) {
    gnutls_deinit(session);
    return fail(err, errlen, GNUTLS_E_INTERNAL_ERROR,
                "configuring the GnuTLS session for QUIC", NULL);
  }

  rv = gnutls_priority_set_direct(session, priority, NULL);
  if (rv != 0) {
    gnutls_deinit(session);
    return fail(err, errlen, rv, "setting TLS 1.3 priorities", NULL);
  }

  rv = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE,
                              ctx->credentials);
  if (rv != 0) {
    gnutls_deinit(session);
    return fail(err, errlen, rv, "setting TLS credentials", NULL);
  }

  if (ctx->alpn_count > 0) {
    unsigned int alpn_flags = GNUTLS_ALPN_MANDATORY;
    if (ctx->is_server) {
      alpn_flags |= GNUTLS_ALPN_SERVER_PRECEDENCE;
    }
    rv = gnutls_alpn_set_protocols(session, ctx->alpn,
                                   (unsigned int)ctx->alpn_count, alpn_flags);
    if (rv != 0) {
      gnutls_deinit(session);
      return fail(err, errlen, rv, "setting ALPN", NULL);
    }
  }

  if (ctx->is_server) {
    if (ctx->verify_peer) {
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
      gnutls_session_set_verify_cert(session, NULL, 0);
    } else if (ctx->request_client_certificate) {
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
    }
  } else {
    if (peer_name != NULL && peer_name[0] != '\0' &&
        !is_ip_literal(peer_name)) {
      rv = gnutls_server_name_set(session, GNUTLS_NAME_DNS, peer_name,
                                  strlen(peer_name));
      if (rv != 0) {
        gnutls_deinit(session);
        return fail(err, errlen, rv, "setting SNI", NULL);
      }
    }
    if (ctx->verify_peer) {
      // Verifies the chain against the trust store and the name (DNS SAN or,
      // for an IP literal, IP SAN) during the handshake itself.
      gnutls_session_set_verify_cert(
          session, (peer_name != NULL && peer_name[0] != '\0') ? peer_name : NULL,
          0);
    }
  }

  gnutls_session_set_ptr(session, conn_ref);
  *out = session;
  return 0;
}

int qf_tls_peer_identity(gnutls_session_t session, char *cn, size_t cnlen,
                         char *dns_names, size_t dns_names_len) {
  unsigned int count = 0;
  const gnutls_datum_t *certs = gnutls_certificate_get_peers(session, &count);
  if (cnlen > 0) {
    cn[0] = '\0';
  }
  if (dns_names_len > 0) {
    dns_names[0] = '\0';
  }
  if (certs == NULL || count == 0) {
    return 1;
  }

  gnutls_x509_crt_t crt;
  int rv = gnutls_x509_crt_init(&crt);
  if (rv < 0) {
    return rv;
  }
  rv = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER);
  if (rv < 0) {
    gnutls_x509_crt_deinit(crt);
    return rv;
  }

  size_t size = cnlen;
  rv = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn,
                                     &size);
  if (rv < 0 && cnlen > 0) {
    cn[0] = '\0';
  }

  size_t used = 0;
  for (unsigned int i = 0;; ++i) {
    char name[256];
    size_t namelen = sizeof(name) - 1;
    unsigned int critical;
    rv = gnutls_x509_crt_get_subject_alt_name(crt, i, name, &namelen,
                                              &critical);
    if (rv == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
      break;
    }
    if (rv == GNUTLS_E_SHORT_MEMORY_BUFFER) {
      continue; // a name longer than any DNS name may be; skip it
    }
    if (rv < 0) {
      break;
    }
    if (rv != GNUTLS_SAN_DNSNAME) {
      continue;
    }
    name[namelen] = '\0';
    size_t need = namelen + (used > 0 ? 1 : 0);
    if (used + need + 1 > dns_names_len) {
      break;
    }
    if (used > 0) {
      dns_names[used++] = '\n';
    }
    memcpy(dns_names + used, name, namelen);
    used += namelen;
    dns_names[used] = '\0';
  }

  gnutls_x509_crt_deinit(crt);
  return 0;
}

void qf_tls_describe_failure(gnutls_session_t session, int tls_error,
                             uint8_t alert, char *out, size_t outlen) {
  size_t used = 0;
  out[0] = '\0';
  if (tls_error != 0) {
    used += (size_t)snprintf(out + used, outlen - used, "%s",
                             gnutls_strerror(tls_error));
  }
  if (alert != 0 && used < outlen) {
    const char *name = gnutls_alert_get_name((gnutls_alert_description_t)alert);
    used += (size_t)snprintf(out + used, outlen - used, "%sTLS alert %u (%s)",
                             used > 0 ? "; " : "", (unsigned)alert,
                             name != NULL ? name : "unknown");
  }
  unsigned int status = gnutls_session_get_verify_cert_status(session);
  if (status != 0 && used < outlen) {
    gnutls_datum_t text;
    if (gnutls_certificate_verification_status_print(
            status, GNUTLS_CRT_X509, &text, 0) == 0) {
      snprintf(out + used, outlen - used, "%s%s", used > 0 ? "; " : "",
               (const char *)text.data);
      gnutls_free(text.data);
    }
  }
}
