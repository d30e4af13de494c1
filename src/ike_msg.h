/* IKEv2 message encoding and decoding (RFC 7296 §3). No state, no crypto:
 * the decoder turns bytes into a struct ike_msg whose pointers point into
 * the caller's buffer; the writer appends payloads to a buffer. */
#ifndef CYGNET_IKE_MSG_H
#define CYGNET_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_HDR_LEN 28
#define IKE_MAX_MSG 65535

enum ike_exchange {
	IKE_SA_INIT = 34,
	IKE_AUTH = 35,
	CREATE_CHILD_SA = 36,
	INFORMATIONAL = 37,
};

enum ike_flags {
	IKE_FLAG_INITIATOR = 0x08,
	IKE_FLAG_VERSION = 0x10,
	IKE_FLAG_RESPONSE = 0x20,
};

enum ike_payload {
	PL_NONE = 0,
	PL_SA = 33,
	PL_KE = 34,
	PL_IDI = 35,
	PL_IDR = 36,
	PL_CERT = 37,
	PL_CERTREQ = 38,
	PL_AUTH = 39,
	PL_NONCE = 40,
	PL_NOTIFY = 41,
	PL_DELETE = 42,
	PL_VENDOR = 43,
	PL_TSI = 44,
	PL_TSR = 45,
	PL_SK = 46,
	PL_CP = 47,
	PL_EAP = 48,
	PL_SKF = 53,
};

/* Notify message types (RFC 7296 §3.10.1 and the IANA registry) */
enum ike_notify_type {
	N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	N_INVALID_IKE_SPI = 4,
	N_INVALID_MAJOR_VERSION = 5,
	N_INVALID_SYNTAX = 7,
	N_INVALID_MESSAGE_ID = 9,
	N_INVALID_SPI = 11,
	N_NO_PROPOSAL_CHOSEN = 14,
	N_INVALID_KE_PAYLOAD = 17,
	N_AUTHENTICATION_FAILED = 24,
	N_SINGLE_PAIR_REQUIRED = 34,
	N_NO_ADDITIONAL_SAS = 35,
	N_INTERNAL_ADDRESS_FAILURE = 36,
	N_FAILED_CP_REQUIRED = 37,
	N_TS_UNACCEPTABLE = 38,
	N_INVALID_SELECTORS = 39,
	N_TEMPORARY_FAILURE = 43,
	N_CHILD_SA_NOT_FOUND = 44,
	/* status types (>= 16384) */
	N_INITIAL_CONTACT = 16384,
	N_SET_WINDOW_SIZE = 16385,
	N_ADDITIONAL_TS_POSSIBLE = 16386,
	N_IPCOMP_SUPPORTED = 16387,
	N_NAT_DETECTION_SOURCE_IP = 16388,
	N_NAT_DETECTION_DESTINATION_IP = 16389,
	N_COOKIE = 16390,
	N_USE_TRANSPORT_MODE = 16391,
	N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
	N_REKEY_SA = 16393,
	N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	N_MOBIKE_SUPPORTED = 16396,
	N_ADDITIONAL_IP4_ADDRESS = 16397,
	N_ADDITIONAL_IP6_ADDRESS = 16398,
	N_NO_ADDITIONAL_ADDRESSES = 16399,
	N_UPDATE_SA_ADDRESSES = 16400,
	N_COOKIE2 = 16401,
	N_NO_NATS_ALLOWED = 16402,
	N_AUTH_LIFETIME = 16403,
	N_MULTIPLE_AUTH_SUPPORTED = 16404,
	N_ANOTHER_AUTH_FOLLOWS = 16405,
	N_REDIRECT_SUPPORTED = 16406,
	N_REDIRECT = 16407,              /* RFC 5685 */
	N_REDIRECTED_FROM = 16408,
	N_EAP_ONLY_AUTHENTICATION = 16417,
	N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
	N_SIGNATURE_HASH_ALGORITHMS = 16431,
};

/* protocol ids in SA proposals, notifies, deletes */
enum ike_proto { PROTO_IKE = 1, PROTO_AH = 2, PROTO_ESP = 3 };

/* CP (RFC 7296 §3.15) */
enum cp_type { CFG_REQUEST = 1, CFG_REPLY = 2, CFG_SET = 3, CFG_ACK = 4 };
enum cp_attr {
	INTERNAL_IP4_ADDRESS = 1,
	INTERNAL_IP4_NETMASK = 2,
	INTERNAL_IP4_DNS = 3,
	INTERNAL_IP4_NBNS = 4,
	INTERNAL_IP4_DHCP = 6,
	APPLICATION_VERSION = 7,
	INTERNAL_IP6_ADDRESS = 8,
	INTERNAL_IP6_DNS = 10,
	INTERNAL_IP4_SUBNET = 13,
	SUPPORTED_ATTRIBUTES = 14,
	INTERNAL_IP6_SUBNET = 15,
};

enum ts_type { TS_IPV4_ADDR_RANGE = 7, TS_IPV6_ADDR_RANGE = 8 };

#define IKE_MAX_PROPS 32
#define IKE_MAX_XFORMS 64     /* per proposal */
#define IKE_MAX_NOTIFY 32
#define IKE_MAX_CERT 8
#define IKE_MAX_TS 16
#define IKE_MAX_CP_ATTR 32
#define IKE_MAX_DELETE 8
#define IKE_MAX_ORDER 64      /* payload order kept for log summaries */

struct ike_hdr {
	uint8_t spi_i[8], spi_r[8];
	uint8_t next;             /* first payload type */
	uint8_t version;          /* major << 4 | minor */
	uint8_t exchange;
	uint8_t flags;
	uint32_t msgid;
	uint32_t length;
};

struct ike_xf {
	uint8_t type;             /* enum xform_type */
	uint16_t id;
	uint16_t keybits;         /* Key Length attribute, 0 if absent */
	bool bad_attr;            /* an attribute other than Key Length: the
	                             transform can't be chosen (RFC 7296 §3.3.6) */
};

struct ike_prop {
	uint8_t num;              /* proposal number */
	uint8_t proto;            /* enum ike_proto */
	uint8_t spi_size;
	uint8_t spi[8];
	struct ike_xf xf[IKE_MAX_XFORMS];
	int n_xf;
};

struct ike_notify {
	uint8_t proto;
	uint8_t spi_size;
	const uint8_t *spi;
	uint16_t type;
	const uint8_t *data;
	size_t len;
};

struct ike_id {
	bool present;
	uint8_t type;             /* enum id_type */
	const uint8_t *data;      /* identification data */
	size_t len;
	const uint8_t *body;      /* payload body after the generic header:
	                             ID type | 3 reserved | data, as signed in
	                             AUTH (RFC 7296 §2.15 IDi'/IDr') */
	size_t body_len;
};

struct ike_blob {             /* CERT, CERTREQ: encoding + data */
	uint8_t enc;
	const uint8_t *data;
	size_t len;
};

struct ike_ts {
	uint8_t type;             /* enum ts_type */
	uint8_t ip_proto;         /* 0 = any */
	uint16_t sport, eport;    /* host order */
	uint8_t start[16], end[16]; /* v4 in the first 4 bytes */
};

struct ike_cp_attr {
	uint16_t type;            /* enum cp_attr (R bit cleared) */
	const uint8_t *val;
	size_t len;
};

struct ike_delete {
	uint8_t proto;
	uint8_t spi_size;
	uint16_t n_spi;
	const uint8_t *spis;      /* n_spi * spi_size bytes */
};

struct ike_msg {
	struct ike_hdr hdr;
	const uint8_t *raw;       /* the whole message as received */
	size_t raw_len;

	/* bitmask of payload types seen (1ull << (type - 32)), and the
	 * type of the first unknown payload with the critical bit set (0
	 * when none): the caller answers UNSUPPORTED_CRITICAL_PAYLOAD */
	uint64_t seen;
	uint8_t unknown_critical;

	struct ike_prop props[IKE_MAX_PROPS]; int n_props;
	bool has_ke; uint16_t ke_group; const uint8_t *ke; size_t ke_len;
	const uint8_t *nonce; size_t nonce_len;
	struct ike_id idi, idr;
	struct ike_blob certs[IKE_MAX_CERT]; int n_certs;
	struct ike_blob certreqs[IKE_MAX_CERT]; int n_certreqs;
	bool has_auth; uint8_t auth_method; const uint8_t *auth; size_t auth_len;
	struct ike_notify notify[IKE_MAX_NOTIFY]; int n_notify;
	struct ike_delete del[IKE_MAX_DELETE]; int n_del;
	struct ike_ts tsi[IKE_MAX_TS]; int n_tsi;
	struct ike_ts tsr[IKE_MAX_TS]; int n_tsr;
	bool has_cp; uint8_t cp_type;
	struct ike_cp_attr cp[IKE_MAX_CP_ATTR]; int n_cp;
	const uint8_t *eap; size_t eap_len;   /* the EAP message, NULL if none */
	int n_vendor;

	/* Encrypted payload (SK, or SKF for a fragment): its body (IV |
	 * ciphertext | ICV), the first inner payload type, and the offset of
	 * the body in raw (everything before it is the AAD / the part the ICV
	 * also covers). */
	bool has_sk;
	uint8_t sk_next;
	const uint8_t *sk_body; size_t sk_len; size_t sk_off;
	uint16_t frag_num, frag_total;        /* SKF only (RFC 7383) */

	/* how many payloads of each known type were seen, outer and inner
	 * chains together: count[type - 32] (types 33..53), saturating at
	 * 255; ike_verify checks these */
	uint8_t count[32];
	/* payload types in message order (outer chain, then inner), for
	 * ike_msg_summary; n_order counts all payloads, only the first
	 * IKE_MAX_ORDER are kept */
	uint8_t order[IKE_MAX_ORDER]; int n_order;
	bool decrypted;                       /* ike_parse_inner ran */
};

/* Decode errors: what the caller answers (RFC 7296 §2.21). */
enum ike_err {
	IKE_OK = 0,
	IKE_ERR_DROP = -1,          /* too short, bad header: drop silently */
	IKE_ERR_SYNTAX = -2,        /* answer INVALID_SYNTAX (if authenticated) */
	IKE_ERR_CRITICAL = -3,      /* answer UNSUPPORTED_CRITICAL_PAYLOAD */
	IKE_ERR_VERSION = -4,       /* major version != 2: INVALID_MAJOR_VERSION */
};

/* Parses the fixed header. Checks: len >= 28, declared length == len,
 * major version 2 (else IKE_ERR_VERSION). */
int ike_parse_header(const uint8_t *buf, size_t len, struct ike_hdr *h);

/* Parses the whole message: header, then the payload chain; an SK/SKF
 * payload must be last and is only located, not decrypted. msg is
 * zeroed first. Every payload is checked: generic header fits, declared
 * length >= its minimum, declared length <= what's left; counts above the
 * maxima in this header are IKE_ERR_SYNTAX. */
int ike_parse(const uint8_t *buf, size_t len, struct ike_msg *msg);

/* Parses a decrypted inner payload chain (first type = msg->sk_next) into
 * the same msg, adding to what the outer chain gave. */
int ike_parse_inner(struct ike_msg *msg, const uint8_t *buf, size_t len);

/* Decodes the body of one payload of the given type (what follows its
 * generic header) into a zeroed msg, with the same checks the chain walk
 * makes (known type, length at least the type's minimum): the single
 * payload decoder, for the per-payload fuzz target and unit tests. */
int ike_parse_payload(struct ike_msg *msg, uint8_t type, const uint8_t *body, size_t len);

/* Checks the payload rules for a request (response = false) or response
 * of the message's exchange type: which payloads must appear, may
 * appear, and how often (a table per exchange, RFC 7296 §1.2-1.5).
 * Returns IKE_OK or IKE_ERR_SYNTAX. For IKE_AUTH requests both the first
 * (IDi, SA, TSi, TSr, optional AUTH) and the EAP continuation (EAP only,
 * or AUTH only) shapes are allowed. */
int ike_verify(const struct ike_msg *msg, bool response);

/* finds a notify by type, NULL if absent */
const struct ike_notify *ike_find_notify(const struct ike_msg *msg, uint16_t type);
/* the first error notify (type < 16384, RFC 7296 §3.10.1), NULL if none */
const struct ike_notify *ike_find_error(const struct ike_msg *msg);
/* the hash algorithms of a SIGNATURE_HASH_ALGORITHMS notify (RFC 7427
 * §4) as a bitmask of 1 << id (ids below 32); 0 for NULL */
uint32_t ike_sig_hashes(const struct ike_notify *n);
/* the identity of an ID payload (data cut at IDENT_MAX) */
struct ident;
void ike_id_ident(const struct ike_id *in, struct ident *out);

/* ---- writing ---- */

struct ike_wr {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;            /* set when something did not fit */
	size_t np_off;            /* where the previous payload's "next
	                             payload" byte is (the header's, first) */
	uint8_t first;            /* type of the first payload written */
	bool has_hdr;             /* ike_wr_init (not _inner): finish sets
	                             the header's length */
};

/* Starts a message: writes the header (length filled by ike_wr_finish). */
void ike_wr_init(struct ike_wr *w, uint8_t *buf, size_t cap, const struct ike_hdr *h);
/* Starts a bare payload chain (the plaintext inside SK): no header. */
void ike_wr_init_inner(struct ike_wr *w, uint8_t *buf, size_t cap);
/* Sets the header's length field. Returns the length, or 0 on overflow. */
size_t ike_wr_finish(struct ike_wr *w);

/* generic payload: begin returns the payload's offset for end() */
size_t ike_wr_begin(struct ike_wr *w, uint8_t type);
void ike_wr_end(struct ike_wr *w, size_t off);
void ike_wr_bytes(struct ike_wr *w, const void *p, size_t len);
void ike_wr_u8(struct ike_wr *w, uint8_t v);
void ike_wr_u16(struct ike_wr *w, uint16_t v);
void ike_wr_u32(struct ike_wr *w, uint32_t v);

void ike_wr_sa(struct ike_wr *w, const struct ike_prop *p);   /* one proposal */
/* an SA payload with n proposals (an initiator's offer) */
void ike_wr_sa_list(struct ike_wr *w, const struct ike_prop *p, int n);
void ike_wr_ke(struct ike_wr *w, uint16_t group, const uint8_t *data, size_t len);
void ike_wr_nonce(struct ike_wr *w, const uint8_t *n, size_t len);
void ike_wr_notify(struct ike_wr *w, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
                   uint16_t type, const uint8_t *data, size_t len);
/* IDr/IDi: body = type | 3 zero bytes | data */
void ike_wr_id(struct ike_wr *w, uint8_t pltype, uint8_t idtype, const uint8_t *data, size_t len);
void ike_wr_cert(struct ike_wr *w, uint8_t enc, const uint8_t *der, size_t len);
void ike_wr_certreq(struct ike_wr *w, uint8_t enc, const uint8_t *data, size_t len);
void ike_wr_auth(struct ike_wr *w, uint8_t method, const uint8_t *data, size_t len);
void ike_wr_ts(struct ike_wr *w, uint8_t pltype, const struct ike_ts *ts, int n);
void ike_wr_cp(struct ike_wr *w, uint8_t cptype, const struct ike_cp_attr *a, int n);
void ike_wr_eap(struct ike_wr *w, const uint8_t *eap, size_t len);
void ike_wr_delete(struct ike_wr *w, uint8_t proto, uint8_t spi_size, const uint8_t *spis, uint16_t n);

/* names for logs: "IKE_SA_INIT", "N(NAT_DETECTION_SOURCE_IP)", "SA" ... */
const char *ike_exchange_name(uint8_t x);
const char *ike_payload_name(uint8_t type);
const char *ike_notify_name(uint16_t type);
/* strongSwan-style summary of a message's payloads for logs:
 * "SA KE No N(NAT_DETECTION_SOURCE_IP) ..." */
void ike_msg_summary(const struct ike_msg *msg, char *out, size_t outlen);

#endif
