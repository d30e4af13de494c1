/* The IKE_SA: its state, keys, message IDs, the response cache and the
 * CHILD_SAs under it. Only ike_sa_set_state() writes sa->state. */
#ifndef CYGNET_IKE_SA_H
#define CYGNET_IKE_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "conf/proposal.h"
#include "src/ident.h"
#include "src/ike_msg.h"

struct daemon;
struct peer_cfg;
struct ike_ini;
struct dh;
struct xform;
struct pool;
struct event;
struct redirect_move;
struct radius_sess;
struct acct_sess;

enum ike_state {
	IKE_S_NEW,          /* created, IKE_SA_INIT not answered yet */
	IKE_S_INIT_DONE,    /* IKE_SA_INIT answered: waiting for IKE_AUTH */
	IKE_S_AUTH2,        /* a first round done: waiting for the second (RFC 4739) */
	IKE_S_EAP,          /* EAP in progress */
	IKE_S_EAP_DONE,     /* EAP succeeded: waiting for the final AUTH */
	IKE_S_ESTABLISHED,
	IKE_S_DELETING,     /* we sent a DELETE */
	IKE_S_REKEYED,      /* replaced by a rekeyed IKE_SA, waiting for its DELETE */
	IKE_S_DEAD,         /* to be freed */
};

enum eap_state {
	EAP_S_NONE,
	EAP_S_IDENTITY,     /* sent Identity request */
	EAP_S_CHALLENGE,    /* sent MSCHAPv2 challenge */
	EAP_S_SUCCESS_REQ,  /* sent MSCHAPv2 success request */
	EAP_S_DONE,         /* sent EAP-Success */
	EAP_S_FAILED,
};

/* what our outstanding request is for */
enum req_kind {
	REQ_NONE,
	REQ_DPD,            /* empty INFORMATIONAL: is the peer alive? */
	REQ_DELETE,         /* DELETE of the IKE_SA */
	REQ_DELETE_CHILD,   /* DELETE of CHILD_SAs (after our rekey) */
	REQ_REKEY_CHILD,    /* CREATE_CHILD_SA rekeying a CHILD_SA */
	REQ_REKEY_IKE,      /* CREATE_CHILD_SA rekeying the IKE_SA */
	REQ_INIT,           /* our IKE_SA_INIT (client, src/client_init.c) */
	REQ_AUTH,           /* one of our IKE_AUTH requests (client, src/client_auth.c) */
	REQ_MOBIKE,         /* UPDATE_SA_ADDRESSES: we moved (client, src/client_move.c) */
	REQ_REDIRECT,       /* INFORMATIONAL with REDIRECT (RFC 5685, src/redirect.c) */
};

struct child_sa {
	uint32_t spi_in, spi_out;
	uint32_t reqid;                   /* kept by rekeys: up/down events */
	uint16_t encr, keybits, integ;
	bool installed;                   /* in the data plane, named by spi_in */
	uint64_t created;
	uint64_t rekey_at, expire_at;     /* rekey=yes: our own rekey, hard expiry */
	struct ike_ts tsi[IKE_MAX_TS]; int n_tsi;
	struct ike_ts tsr[IKE_MAX_TS]; int n_tsr;
};

/* the attributes of a CP reply we keep (RFC 7296 §3.15.1) */
#define CP_MAX_DNS 8
struct cp_got {
	bool v4, v6;
	uint8_t vip4[4], vip6[16];
	int n_dns4, n_dns6;
	uint8_t dns4[CP_MAX_DNS][4], dns6[CP_MAX_DNS][16];
};

/* how a client authenticates (its first IKE_AUTH request) */
enum peer_kind {
	PEER_EAP,           /* no AUTH payload: EAP */
	PEER_PSK,           /* AUTH with a pre-shared key */
	PEER_SIG,           /* AUTH with a signature (certificate) */
};

/* why an IKE_SA ended, for what a client does next */
enum ike_end {
	IKE_END_NONE,
	IKE_END_LOCAL,      /* we deleted it (cygnetctl down, stop, reauth) */
	IKE_END_DELETED,    /* the peer deleted it */
	IKE_END_DEAD,       /* the peer stopped answering */
	IKE_END_FAILED,     /* the setup failed (refused, no answer, bad server) */
	IKE_END_AUTH,       /* the setup failed on authentication: retrying will not help */
};

#define IKE_MAX_CHILD 4
#define IKE_MAX_FRAGS 64          /* fragments of one message, either way */
/* largest IP datagram of an IKE fragment we send (strongSwan's default) */
#define FRAG_SIZE 1280

/* a message as sent: one datagram, or its RFC 7383 fragments */
struct msg_cache {
	uint8_t *buf;                     /* the datagrams back to back */
	size_t len[IKE_MAX_FRAGS];
	int n;
};

/* reassembly of one fragmented request (RFC 7383 §2.6) */
struct frag_in {
	uint32_t msgid;
	uint16_t total;
	uint8_t first;                    /* inner payload type from fragment 1 */
	uint16_t have;                    /* fragments received */
	size_t bytes;                     /* plaintext held */
	uint8_t *part[IKE_MAX_FRAGS];     /* decrypted fragment contents */
	size_t part_len[IKE_MAX_FRAGS];
	uint8_t *whole;                   /* the reassembled plaintext */
};

struct ike_sa {
	struct daemon *d;                 /* the daemon it belongs to (timers) */
	struct ike_sa *next;              /* d->sas */
	struct ike_sa *hnext[3];          /* chains of d->sa_idx[SA_BY_*] */
	struct src_entry *src;            /* counts of its source address */
	bool counted_half_open;           /* still in d->half_open / src->half_open */
	bool busy;                        /* a job of jobs.h works for it */
	/* answers to retransmitted requests: at most a few per second */
	uint64_t resend_sec;
	unsigned resends;
	uint32_t id;                      /* unique, for logs and control */
	enum ike_state state;
	/* we are the original initiator: only of an IKE_SA we rekeyed
	 * ourselves (RFC 7296 §2.18: the rekeying side initiates the new SA) */
	bool initiator;
	uint8_t spi_i[8], spi_r[8];
	struct sockaddr_storage peer, local;
	socklen_t peer_len, local_len;

	/* IKE_SA_INIT results */
	uint16_t encr, keybits, integ, prf, dh_group;
	struct dh *dh;
	uint8_t *ni, *nr; size_t ni_len, nr_len;
	uint8_t *init_req, *init_resp; size_t init_req_len, init_resp_len;
	uint8_t sk_d[64], sk_pi[64], sk_pr[64]; size_t prf_len;
	struct xform *x_in, *x_out;       /* SK_ei/SK_ai, SK_er/SK_ar */
	uint32_t sig_hashes;              /* RFC 7427 hashes the peer supports */
	bool peer_frag, peer_mobike;
	/* RFC 5685: REDIRECT_SUPPORTED or REDIRECTED_FROM in its IKE_SA_INIT;
	 * a move to another gateway under way (src/redirect.c), NULL: none */
	bool peer_redirect;
	struct redirect_move *move;

	/* exchanges the peer initiates */
	uint32_t msgid_next;              /* next request message ID expected */
	struct msg_cache resp;            /* last response, as sent */
	struct frag_in frag;
	/* exchanges we initiate: one at a time (window size 1) */
	uint32_t our_msgid;               /* next message ID of ours */
	enum req_kind req_kind;
	struct msg_cache req;             /* the request as sent, for retransmits */
	uint32_t req_msgid;
	uint8_t req_exchange;             /* its exchange type: the response's must match */
	unsigned req_tries;               /* retransmissions so far */
	uint64_t req_started;             /* monotonic seconds of the first send */
	struct event *req_timer;
	struct event *dpd_timer;
	struct event *life_timer;         /* rekey=yes: lifetimes */
	uint64_t rekey_at, expire_at;     /* of the IKE_SA */
	/* our CREATE_CHILD_SA in flight */
	struct dh *rk_dh;
	uint8_t rk_nonce[32];
	uint8_t rk_spi[8];                /* our new IKE SPI */
	uint32_t rk_spi_in, rk_old_spi_in;/* new and rekeyed CHILD_SA (ours) */
	/* the peer rekeyed the same CHILD_SA while ours was in flight (RFC
	 * 7296 §2.8.1): the lowest nonce of its exchange, the SA it made */
	bool collided;
	uint8_t coll_nonce[256]; size_t coll_nonce_len;
	uint32_t coll_spi_in;
	uint64_t last_in;                 /* last authenticated IKE message from the peer */

	/* IKE_AUTH */
	struct peer_cfg *cfg;
	struct ident idi;                 /* the peer's IKE identity */
	uint8_t idi_body[IDENT_MAX + 4]; size_t idi_body_len;
	uint8_t idr_body[IDENT_MAX + 4]; size_t idr_body_len; /* as we sent it */
	char user[256];                   /* EAP identity (the user name) */
	/* user is only what the client claimed: its outer identity of a
	 * tunnelled EAP method (TTLS, PEAP, TLS ...) relayed to RADIUS, which
	 * named nobody in its Access-Accept (src/eap_radius.c). Such a session
	 * is no other session's "same user" (uniqueids) and its address is not
	 * that name's lease (ike_sa_lease_id) */
	bool user_unconfirmed;
	const char *auth_fail;            /* why EAP failed, for the outcome line */
	/* from the first IKE_AUTH request, for the final step */
	struct ike_prop *child_props; int n_child_props;
	struct ike_ts *req_tsi, *req_tsr; int n_req_tsi, n_req_tsr;
	bool has_cp, want_vip4, want_vip6;
	bool initial_contact;             /* INITIAL_CONTACT in IKE_AUTH */
	enum peer_kind kind;              /* how the client authenticates its first round */
	bool another_round;               /* it announced a second (ANOTHER_AUTH_FOLLOWS) */

	/* EAP: the method (enum conf_auth) and, for EAP-TLS and EAP-MD5,
	 * its state (src/eap_server.c); EAP-MSCHAPv2's is below */
	int eap_method;
	void *eap_ctx;
	bool eap_md5_dummy;               /* a challenge for no real account */
	/* EAP-MSCHAPv2 */
	enum eap_state eap;
	uint8_t eap_id;
	uint8_t auth_chal[16];
	uint8_t msk[64];
	bool have_msk;

	/* rightauth=eap-radius: what RADIUS said about the session
	 * (src/eap_radius.h: Class, Acct-Session-Id, addresses, DNS,
	 * Session-Timeout), NULL for other sessions */
	struct radius_sess *radius;
	/* the RADIUS accounting session (src/radius_acct.h), NULL: none */
	struct acct_sess *acct;

	/* what a server gave us in its CP reply (client IKE_SAs) */
	struct cp_got got;

	/* leases (the peer's virtual IPs, server IKE_SAs) */
	bool has_vip4, has_vip6;
	uint8_t vip4[4], vip6[16];
	struct pool *pool4, *pool6;

	struct child_sa child[IKE_MAX_CHILD];
	int n_child;

	uint64_t created, established;
	struct event *timer;              /* setup timeout / deletion */

	/* an IKE_SA of a conn we initiate (cygnet as a client, src/client.c):
	 * it and the IKE_SAs it is rekeyed into; ini holds the setup
	 * exchanges' state until it is established; end says why it ended
	 * (for closeaction / dpdaction / keyingtries) */
	bool client;
	bool probe;                       /* a load generator's: no conn state (client_probe) */
	struct ike_ini *ini;
	enum ike_end end;
	uint8_t cookie2[16];              /* of our UPDATE_SA_ADDRESSES (RFC 4555 §3.5) */
	uint64_t ka_packets_out;          /* at the last keepalive tick (client_move.c) */
	uint32_t ka_ike_msgid;
	struct frag_in frag_resp;         /* reassembly of a fragmented response */
};

/* a new responder IKE_SA for an IKE_SA_INIT from peer; NULL on failure
 * and once the daemon is stopping (d->stopping) */
struct ike_sa *ike_sa_new(struct daemon *d, const uint8_t spi_i[8],
                          const struct sockaddr *peer, socklen_t peer_len,
                          const struct sockaddr *local, socklen_t local_len);
/* a new IKE_SA we initiate (cygnet as a client): a random SPI of ours
 * as SPIi, SPIr zero until the IKE_SA_INIT response names it. It has no
 * setup timeout: the retransmissions of its requests bound the setup. */
struct ike_sa *ike_sa_new_initiator(struct daemon *d, const struct sockaddr *peer,
                                    socklen_t peer_len, const struct sockaddr *local,
                                    socklen_t local_len);
/* makes sa one we initiated (an IKE rekey of ours): our SPI becomes
 * spi_i, the peer's spi_r; keeps the SPI index right */
void ike_sa_set_initiator(struct daemon *d, struct ike_sa *sa, const uint8_t ours[8],
                          const uint8_t theirs[8]);
/* lookups, O(1): by our SPI (spi_r, or spi_i of an SA we initiated) */
struct ike_sa *ike_sa_by_our_spi(struct daemon *d, const uint8_t spi[8]);
struct ike_sa *ike_sa_by_init(struct daemon *d, const uint8_t spi_i[8],
                              const struct sockaddr *peer);
/* by id; NULL when it is gone or dead */
struct ike_sa *ike_sa_by_id(struct daemon *d, uint32_t id);
/* sets up and frees the indexes and per-source counts of d */
int ike_sa_tables_init(struct daemon *d);
void ike_sa_tables_free(struct daemon *d);
void ike_sa_set_state(struct ike_sa *sa, enum ike_state st);
/* the conn of the SA; holds a reference to its configuration */
void ike_sa_set_cfg(struct ike_sa *sa, struct peer_cfg *pc);
/* releases leases, removes CHILD_SAs from the data path, frees */
void ike_sa_destroy(struct daemon *d, struct ike_sa *sa);
/* frees every SA marked dead */
void ike_sa_reap(struct daemon *d);
/* follows the peer to a new address:port (and our matching local
 * address), for the IKE_SA and its CHILD_SAs; only after a message
 * authenticated */
void ike_sa_update_addrs(struct ike_sa *sa, const struct sockaddr *peer, socklen_t peer_len,
                         const struct sockaddr *local, socklen_t local_len);
/* the data plane saw authenticated ESP of CHILD_SA spi_in (IKE_SA
 * ike_id) come from a new address (DP_EV_PEER_MOVED): a NAT rebinding;
 * an established IKE_SA that still has that CHILD_SA follows it */
void ike_sa_follow_esp(struct daemon *d, uint32_t ike_id, uint32_t spi_in,
                       const struct sockaddr *peer, socklen_t peer_len);
/* the one line per connection attempt (established, refused, abandoned):
 * address, user, IKE id, conn, algorithms, virtual IPs, then outcome */
void ike_sa_log_outcome(const struct ike_sa *sa, const char *outcome);
/* sa's CHILD_SAs end now: out of the data plane (their counts kept for
 * metrics and accounting) and their leftupdown down events queued;
 * ike_sa_free calls it, and so does a session replaced by a new one
 * (uniqueids), before the new one's up events: a down script for the
 * same address (seed 001's proxy NDP) then never undoes the new up */
void ike_sa_children_gone(struct daemon *d, struct ike_sa *sa);
/* sa's virtual IPs go back to their pools (addresses outside every pool
 * just go); sa has none after */
void ike_sa_drop_vips(struct ike_sa *sa);
/* "#3 198.18.1.10[4500]" for log lines */
const char *ike_sa_tag(const struct ike_sa *sa);
/* the identity the session's pool leases are kept under: the user name,
 * or for a name RADIUS did not confirm (user_unconfirmed)
 * IKE_SA_UNCONFIRMED_LEASE followed by it, so that a client claiming
 * another user's name never gets that user's address */
#define IKE_SA_UNCONFIRMED_LEASE "outer-identity:"
const char *ike_sa_lease_id(const struct ike_sa *sa, char *buf, size_t len);

/* protects and sends a response or request whose plaintext payload chain
 * is in inner (built with ike_wr_init_inner); caches responses */
int ike_sa_send_encrypted(struct daemon *d, struct ike_sa *sa, uint8_t exchange,
                          bool response, uint32_t msgid, const struct ike_wr *inner);
/* sends a cleartext message (IKE_SA_INIT) */
int ike_sa_send_raw(struct daemon *d, struct ike_sa *sa, const uint8_t *buf, size_t len);
/* sends every datagram of a cached message again */
void ike_sa_resend(struct daemon *d, struct ike_sa *sa, const struct msg_cache *c);
/* releases a reassembly in progress */
void ike_sa_frag_reset(struct frag_in *f);
/* sends DELETE for the IKE_SA (best effort, no retransmission) */
void ike_sa_send_delete(struct daemon *d, struct ike_sa *sa);
/* starts an exchange of ours: the next message ID, retransmissions with
 * back-off (config setup retransmit_*), the peer declared dead when they
 * run out. -1 when another request of ours is still outstanding. */
int ike_sa_request(struct daemon *d, struct ike_sa *sa, uint8_t exchange,
                   const struct ike_wr *inner, enum req_kind kind);
/* the same for an unprotected request (our IKE_SA_INIT, message ID 0),
 * replacing the one outstanding, if any (a retry with a cookie or another
 * KE group) */
int ike_sa_request_raw(struct daemon *d, struct ike_sa *sa, const uint8_t *buf, size_t len,
                       enum req_kind kind);
/* a response to our outstanding request arrived (decrypted, verified) */
void ike_sa_response(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m);
/* the newest inbound activity of the IKE_SA and its CHILD_SAs */
uint64_t ike_sa_last_in(const struct ike_sa *sa);

#endif
