// ngtcp2 0.12.1 + GnuTLS for Swift.
//
// The versioned entry points of ngtcp2 are reached through function-like
// macros that pass the struct versions this header was compiled against.
// Swift cannot import such macros, so each one used by QUICTransport gets a
// `static inline` wrapper with the same arguments (GRDBSQLite's shim.h
// pattern). Keep the wrappers one-to-one with the macros: no logic here.
#ifndef QUICFLOW_CNGTCP2_SHIM_H
#define QUICFLOW_CNGTCP2_SHIM_H

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/crypto.h>

static inline int qf_ngtcp2_conn_client_new(
    ngtcp2_conn **pconn, const ngtcp2_cid *dcid, const ngtcp2_cid *scid,
    const ngtcp2_path *path, uint32_t client_chosen_version,
    const ngtcp2_callbacks *callbacks, const ngtcp2_settings *settings,
    const ngtcp2_transport_params *params, const ngtcp2_mem *mem,
    void *user_data) {
  return ngtcp2_conn_client_new(pconn, dcid, scid, path, client_chosen_version,
                                callbacks, settings, params, mem, user_data);
}

static inline int qf_ngtcp2_conn_server_new(
    ngtcp2_conn **pconn, const ngtcp2_cid *dcid, const ngtcp2_cid *scid,
    const ngtcp2_path *path, uint32_t client_chosen_version,
    const ngtcp2_callbacks *callbacks, const ngtcp2_settings *settings,
    const ngtcp2_transport_params *params, const ngtcp2_mem *mem,
    void *user_data) {
  return ngtcp2_conn_server_new(pconn, dcid, scid, path, client_chosen_version,
                                callbacks, settings, params, mem, user_data);
}

static inline int qf_ngtcp2_conn_read_pkt(ngtcp2_conn *conn,
                                          const ngtcp2_path *path,
                                          const ngtcp2_pkt_info *pi,
                                          const uint8_t *pkt, size_t pktlen,
                                          ngtcp2_tstamp ts) {
  return ngtcp2_conn_read_pkt(conn, path, pi, pkt, pktlen, ts);
}

static inline ngtcp2_ssize qf_ngtcp2_conn_writev_stream(
    ngtcp2_conn *conn, ngtcp2_path *path, ngtcp2_pkt_info *pi, uint8_t *dest,
    size_t destlen, ngtcp2_ssize *pdatalen, uint32_t flags, int64_t stream_id,
    const ngtcp2_vec *datav, size_t datavcnt, ngtcp2_tstamp ts) {
  return ngtcp2_conn_writev_stream(conn, path, pi, dest, destlen, pdatalen,
                                   flags, stream_id, datav, datavcnt, ts);
}

static inline ngtcp2_ssize qf_ngtcp2_conn_write_connection_close(
    ngtcp2_conn *conn, ngtcp2_path *path, ngtcp2_pkt_info *pi, uint8_t *dest,
    size_t destlen, const ngtcp2_connection_close_error *ccerr,
    ngtcp2_tstamp ts) {
  return ngtcp2_conn_write_connection_close(conn, path, pi, dest, destlen,
                                            ccerr, ts);
}

static inline void qf_ngtcp2_settings_default(ngtcp2_settings *settings) {
  ngtcp2_settings_default(settings);
}

static inline void
qf_ngtcp2_transport_params_default(ngtcp2_transport_params *params) {
  ngtcp2_transport_params_default(params);
}

static inline void qf_ngtcp2_conn_get_conn_stat(ngtcp2_conn *conn,
                                                ngtcp2_conn_stat *cstat) {
  ngtcp2_conn_get_conn_stat(conn, cstat);
}

#endif /* QUICFLOW_CNGTCP2_SHIM_H */
