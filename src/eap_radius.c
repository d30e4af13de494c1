/* The EAP relay to RADIUS and the Access-Accept's attributes (see
 * src/eap_radius.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include "src/auth_limit.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/eap_radius.h"
#include "src/eap_server.h"
#include "src/eap_srv.h"
#include "src/helper.h"
#include "src/ike_msg.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/pool.h"
#include "src/radius_acct.h"
#include "src/radius_client.h"

#define NAS_PORT_TYPE_VIRTUAL 5
#define SERVICE_TYPE_FRAMED 2
#define MS_PRIMARY_DNS 28
#define MS_SECONDARY_DNS 29

/* the relay's state while EAP runs (sa->eap_ctx) */
struct relay {
	struct radc_req *req;              /* the Access-Request in flight */
	uint32_t msgid;                    /* the IKE_AUTH request to answer */
	uint8_t state[RAD_ATTR_MAX];       /* State of the last Access-Challenge */
	size_t state_len;
	uint8_t *prefix;                   /* payloads before the EAP payload */
	struct ike_wr pw;
	uint8_t last_id;                   /* Identifier of the last EAP packet relayed */
	bool named;                        /* the client gave its EAP identity (eap_start) */
	/* the EAP-Response/Identity's Type-Data as the client sent it: the
	 * User-Name (RFC 3579 §2.1), binary names (an EAP-TLS client's DER
	 * subject) included; 0: the IKE identity's text */
	uint8_t uname[RAD_ATTR_MAX];
	size_t uname_len;
	uint8_t sent[RAD_ATTR_MAX];        /* the User-Name last sent (id_prefix too) */
	size_t sent_len;
	/* the first EAP method RADIUS asked for that does not prove the
	 * identity the client gave (see proves_identity); 0: none */
	uint8_t tunnel;
};

/* EAP methods whose success means the RADIUS server checked the
 * client's credentials against the identity it relayed (MD5, OTP, GTC,
 * MSCHAPv2: the secret is looked up by that name). Every other method,
 * notably TLS (13), TTLS (21), PEAP (25), FAST (43) and TEAP (55), runs
 * on a name of its own (an inner identity, a certificate subject, a
 * SIM/AKA pseudonym): the EAP-Identity the client gave is free text
 * there, and only a User-Name in the Access-Accept names the user */
static bool proves_identity(uint8_t type)
{
	switch (type) {
	case EAP_T_IDENTITY:
	case 2:            /* Notification */
	case 4:            /* MD5-Challenge */
	case 5:            /* One-Time Password */
	case 6:            /* Generic Token Card */
	case 26:           /* MSCHAPv2 */
		return true;
	default:
		return false;
	}
}

static struct relay *relay_of(const struct ike_sa *sa)
{
	return sa->eap_method == AUTH_EAP_RADIUS ? sa->eap_ctx : NULL;
}

bool eap_radius_waiting(const struct ike_sa *sa)
{
	const struct relay *r = relay_of(sa);
	return r && r->req;
}

void eap_radius_free_relay(struct ike_sa *sa)
{
	struct relay *r = relay_of(sa);
	if (!r)
		return;
	radius_cancel(r->req);
	if (r->prefix) {
		OPENSSL_cleanse(r->prefix, r->pw.cap);
		free(r->prefix);
	}
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
	sa->eap_ctx = NULL;
}

static struct radius_sess *sess_of(struct daemon *d, struct ike_sa *sa)
{
	if (sa->radius)
		return sa->radius;
	struct radius_sess *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->sa = sa;
	s->nas_port = sa->id;
	snprintf(s->acct_session_id, sizeof(s->acct_session_id), "%llu-%u",
	         (unsigned long long)d->started, sa->id);
	sa->radius = s;
	return s;
}

static struct relay *relay_new(struct ike_sa *sa)
{
	struct relay *r = relay_of(sa);
	if (r)
		return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	sa->eap_ctx = r;
	return r;
}

static void on_answer(void *arg, const struct radc_answer *a);

/* Access-Requests of other IKE_SAs from sa's source (auth_limit_same_source)
 * waiting for RADIUS, counted up to cap. Derived from the IKE_SAs each
 * time, so no count can drift when a request ends on any path. */
static unsigned waiting_from(struct daemon *d, const struct ike_sa *sa, unsigned cap)
{
	unsigned n = 0;
	for (const struct ike_sa *o = d->sas; o && n < cap; o = o->next)
		if (o != sa && o->state != IKE_S_DEAD && eap_radius_waiting(o) &&
		    auth_limit_same_source((const struct sockaddr *)&o->peer,
		                           (const struct sockaddr *)&sa->peer))
			n++;
	return n;
}

/* the Access-Request carrying eap (len octets; len 0: EAP-Start); not
 * while radius_requests_per_source requests of sa's address wait, for
 * every round of a conversation (IKE_SAs of one address that passed the
 * first round together must not all wait on RADIUS at once): refused as
 * a wrong password is, the client may try again */
static int send_access(struct daemon *d, struct ike_sa *sa, struct relay *r, const uint8_t *eap,
                       size_t len)
{
	const struct radius_conf *rc = sa->cfg->owner->radius;
	unsigned cap = sa->cfg->owner->conf->radius_requests_per_source, n;
	if (cap && (n = waiting_from(d, sa, cap)) >= cap) {
		auth_limit_busy(d->alim, (const struct sockaddr *)&sa->peer, n, cap,
		                auth_limit_now());
		sa->auth_fail = "too many RADIUS requests of its address waiting";
		return -1;
	}
	struct radius_sess *s = sess_of(d, sa);
	if (!d->radius || !s) {
		sa->auth_fail = "no RADIUS client";
		return -1;
	}
	struct rad_pkt *p = malloc(sizeof(*p));
	if (!p) {
		sa->auth_fail = "out of memory";
		return -1;
	}
	rad_new(p, RAD_ACCESS_REQUEST, 0);
	uint8_t name[RAD_ATTR_MAX];
	size_t nl = strnlen(rc->id_prefix, sizeof(rc->id_prefix));
	nl = nl < sizeof(name) ? nl : sizeof(name);
	memcpy(name, rc->id_prefix, nl);
	const uint8_t *un = r->uname_len ? r->uname : (const uint8_t *)sa->user;
	size_t ul = r->uname_len ? r->uname_len : strlen(sa->user);
	ul = ul < sizeof(name) - nl ? ul : sizeof(name) - nl;
	memcpy(name + nl, un, ul);
	rad_put(p, RAD_USER_NAME, name, nl + ul);
	memcpy(r->sent, name, nl + ul);
	r->sent_len = nl + ul;
	if (len)
		rad_put_split(p, RAD_EAP_MESSAGE, eap, len);
	else
		rad_put(p, RAD_EAP_MESSAGE, "", 0);
	if (r->state_len)
		rad_put(p, RAD_STATE, r->state, r->state_len);
	if (sa->local.ss_family == AF_INET)
		rad_put(p, RAD_NAS_IP_ADDRESS, &((struct sockaddr_in *)&sa->local)->sin_addr, 4);
	else if (sa->local.ss_family == AF_INET6)
		rad_put(p, RAD_NAS_IPV6_ADDRESS, &((struct sockaddr_in6 *)&sa->local)->sin6_addr, 16);
	rad_put_u32(p, RAD_NAS_PORT, s->nas_port);
	rad_put_u32(p, RAD_NAS_PORT_TYPE, NAS_PORT_TYPE_VIRTUAL);
	rad_put_u32(p, RAD_SERVICE_TYPE, SERVICE_TYPE_FRAMED);
	char st[80];
	addr_text((const struct sockaddr *)&sa->local, rc->station_id_with_port, st, sizeof(st));
	rad_put_str(p, RAD_CALLED_STATION_ID, st);
	addr_text((const struct sockaddr *)&sa->peer, rc->station_id_with_port, st, sizeof(st));
	rad_put_str(p, RAD_CALLING_STATION_ID, st);
	if (p->overflow) {
		free(p);
		sa->auth_fail = "the EAP message does not fit a RADIUS packet";
		return -1;
	}
	r->req = radius_send(d->radius, RAD_ACCESS_REQUEST, p->buf + RAD_HDR_LEN,
	                     p->len - RAD_HDR_LEN, on_answer, sa);
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
	if (!r->req) {
		sa->auth_fail = "no RADIUS server usable";
		return -1;
	}
	return 0;
}

/* The client's address is backed off: refused without asking RADIUS */
static bool backed_off(struct daemon *d, struct ike_sa *sa)
{
	const struct ipsec_conf *conf = sa->cfg->owner->conf;
	const struct sockaddr *peer = (const struct sockaddr *)&sa->peer;
	uint64_t now = auth_limit_now();
	if (auth_limit_blocked(d->alim, conf, NULL, sa->user, peer, now)) {
		auth_limit_refused(d->alim, conf, NULL, sa->user, peer, now);
		sa->auth_fail = "backed off";
		return true;
	}
	return false;
}

int eap_radius_begin(struct daemon *d, struct ike_sa *sa, const struct ike_wr *w,
                     uint32_t msgid)
{
	struct relay *r = relay_new(sa);
	if (!r)
		return -1;
	r->msgid = msgid;
	if (w) {
		r->prefix = malloc(w->len ? w->len : 1);
		if (!r->prefix)
			return -1;
		memcpy(r->prefix, w->buf, w->len);
		r->pw = *w;
		r->pw.buf = r->prefix;
		r->pw.cap = w->len;
	}
	sa->eap = EAP_S_CHALLENGE;
	if (backed_off(d, sa))
		return -1;
	if (sa->cfg->owner->radius->eap_start)
		return send_access(d, sa, r, NULL, 0);
	/* an EAP-Response/Identity of the client's IKE identity */
	uint8_t eap[5 + sizeof(sa->user)];
	size_t n = strlen(sa->user);
	eap[0] = EAP_CODE_RESPONSE;
	eap[1] = 0;
	eap[2] = (uint8_t)((5 + n) >> 8);
	eap[3] = (uint8_t)(5 + n);
	eap[4] = EAP_T_IDENTITY;
	memcpy(eap + 5, sa->user, n);
	return send_access(d, sa, r, eap, 5 + n);
}

/* The session's name for an EAP-Identity, whose bytes RADIUS gets as
 * they are (User-Name): text, or a DER name as "C=.., CN=.."
 * (eap_identity_text); never the IKE identity, which nobody checked.
 * -1 for an empty identity, other bytes, or one no User-Name can carry */
static int identity(const struct eap_frame *f, char *out, size_t cap)
{
	if (f->len == 0 || f->len > RAD_ATTR_MAX)
		return -1;
	return eap_identity_text(f->data, f->len, out, cap);
}

int eap_radius_relay(struct daemon *d, struct ike_sa *sa, const uint8_t *in, size_t inlen,
                     uint32_t msgid)
{
	struct relay *r = relay_new(sa);
	struct eap_frame f;
	if (!r) {
		sa->auth_fail = "out of memory";
		return -1;
	}
	if (r->req) {
		sa->auth_fail = "EAP response while RADIUS still works on the last one";
		return -1;
	}
	if (!eap_frame(in, inlen, &f) || f.code != EAP_CODE_RESPONSE) {
		sa->auth_fail = "malformed EAP response";
		return -1;
	}
	inlen = (size_t)in[2] << 8 | in[3];
	if (sa->eap == EAP_S_IDENTITY) {
		/* our EAP-Identity round: the name RADIUS gets as User-Name */
		if (f.type != EAP_T_IDENTITY || f.id != sa->eap_id) {
			sa->auth_fail = "malformed EAP-Identity";
			return -1;
		}
		if (identity(&f, sa->user, sizeof(sa->user)) != 0) {
			sa->auth_fail = "an EAP-Identity that is empty, not text nor a DN, or longer "
			                "than a User-Name";
			return -1;
		}
		r->uname_len = f.len;
		memcpy(r->uname, f.data, f.len);
		log_info(LOG_IKE, "%s: EAP identity '%s'", ike_sa_tag(sa), sa->user);
		sa->eap = EAP_S_CHALLENGE;
		if (backed_off(d, sa))
			return -1;
	} else if (sa->eap != EAP_S_CHALLENGE) {
		sa->auth_fail = "unexpected EAP message";
		return -1;
	} else if (f.type == EAP_T_IDENTITY && f.len > 0 && !r->named &&
	           sa->cfg->owner->radius->eap_start) {
		/* the RADIUS server asked for it (eap_start): the User-Name
		 * from now on; once only, so a client cannot take another
		 * name halfway through a conversation */
		char name[sizeof(sa->user)];
		r->named = true;
		if (identity(&f, name, sizeof(name)) != 0) {
			sa->auth_fail = "an EAP-Identity that is not text nor a DN, or longer than a "
			                "User-Name";
			return -1;
		}
		r->uname_len = f.len;
		memcpy(r->uname, f.data, f.len);
		if (strcmp(name, sa->user) != 0) {
			log_info(LOG_IKE, "%s: EAP identity '%s'", ike_sa_tag(sa), name);
			memcpy(sa->user, name, sizeof(name));
		}
	}
	r->msgid = msgid;
	r->last_id = f.id;
	return send_access(d, sa, r, in, inlen);
}

/* ---- the answer ---- */

/* a group name of the Accept (text; others are nobody's group) */
static void add_group(struct radius_sess *s, const uint8_t *val, size_t len)
{
	if (s->n_groups >= RADIUS_MAX_GROUPS || len == 0 || len > RAD_ATTR_MAX)
		return;
	for (size_t i = 0; i < len; i++)
		if (val[i] < 0x20 || val[i] == 0x7f)
			return;
	memcpy(s->groups[s->n_groups], val, len);
	s->groups[s->n_groups++][len] = '\0';
}

bool eap_radius_member(const struct ike_sa *sa, const char *groups)
{
	if (!groups)
		return true;
	const struct radius_sess *s = sa->radius;
	for (const char *p = groups; s && *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *q = p;
		while (n && (*q == ' ' || *q == '\t'))
			q++, n--;
		while (n && (q[n - 1] == ' ' || q[n - 1] == '\t'))
			n--;
		for (int i = 0; i < s->n_groups; i++)
			if (strlen(s->groups[i]) == n && memcmp(s->groups[i], q, n) == 0)
				return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

static void delete_session(struct daemon *d, struct ike_sa *sa, const char *why)
{
	if (why)
		log_err(LOG_IKE, "%s: deleting the IKE_SA of '%s': %s", ike_sa_tag(sa), sa->user, why);
	acct_set_cause(sa, ACCT_TC_LOST_SERVICE);
	ike_sa_send_delete(d, sa);
	ike_sa_set_state(sa, IKE_S_DEAD);
}

void eap_radius_timeout(struct daemon *d, struct ike_sa *sa, bool all)
{
	if (!all) {
		if (sa && sa->state == IKE_S_ESTABLISHED)
			delete_session(d, sa, NULL);   /* the caller logged why */
		return;
	}
	int n = 0;
	for (struct ike_sa *o = d->sas; o; o = o->next)
		n += !o->client && o->state == IKE_S_ESTABLISHED;
	log_err(LOG_IKE, "RADIUS servers do not answer, close_all_on_timeout = yes: deleting "
	        "the IKE_SAs of all %d clients", n);
	for (struct ike_sa *o = d->sas; o; o = o->next)
		if (!o->client && o->state == IKE_S_ESTABLISHED)
			delete_session(d, o, "close_all_on_timeout");
}

/* An Access-Request of sa got no answer while the servers answered
 * nobody. With close_all_on_timeout that is the servers' outage only
 * when it happens to three client addresses (IPv6: /64) in a row: one
 * stranger whose realm is proxied to nowhere must not end everybody's
 * session. */
static void silent_timeout(struct daemon *d, struct ike_sa *sa)
{
	const struct sockaddr *p = (const struct sockaddr *)&sa->peer;
	if (!d->cfg->radius->close_all_on_timeout)
		return;
	for (int i = 0; i < d->n_radius_silent; i++)
		if (auth_limit_same_source((const struct sockaddr *)&d->radius_silent[i], p))
			return;
	memcpy(&d->radius_silent[d->n_radius_silent++], &sa->peer, sizeof(sa->peer));
	if (d->n_radius_silent < 3)
		return;
	d->n_radius_silent = 0;
	eap_radius_timeout(d, NULL, true);
}

/* what the Access-Accept's User-Name says of the user */
enum accept_name {
	NAME_NONE,          /* none (or none cygnet can use) */
	NAME_ECHO,          /* the name cygnet sent, repeated */
	NAME_NEW,           /* another name: RADIUS's own */
};

/* the Accept's attributes into s, and its User-Name: a new text name
 * becomes sa->user (s->name_from_accept); one that repeats what cygnet
 * sent (the very bytes, id_prefix and a DER subject included) keeps
 * sa->user */
static enum accept_name keep_attrs(struct ike_sa *sa, struct relay *r, struct radius_sess *s,
                                   const struct rad_view *v)
{
	size_t off = 0, len;
	uint8_t type;
	const uint8_t *val;
	s->n_cls = 0;
	s->n_dns = 0;
	s->ip4 = s->ip6 = s->ip4_nas = false;
	s->framed_pool[0] = s->framed_pool6[0] = '\0';
	s->n_groups = 0;
	const struct radius_conf *rc = sa->cfg->owner->radius;
	bool esp = false;
	while (rad_next(v, &off, &type, &val, &len)) {
		switch (type) {
		case RAD_CLASS:
			if (s->n_cls < RADIUS_MAX_CLASS && len <= RAD_ATTR_MAX) {
				memcpy(s->cls[s->n_cls], val, len);
				s->cls_len[s->n_cls++] = (uint8_t)len;
			}
			if (rc->class_group)
				add_group(s, val, len);
			break;
		case RAD_TUNNEL_TYPE:
			/* a tag octet, then the type: 9 is ESP (RFC 2868) */
			if (len == 4 && val[1] == 0 && val[2] == 0 && val[3] == 9)
				esp = true;
			break;
		case RAD_FRAMED_IP_ADDRESS:
			if (len == 4) {
				static const uint8_t nas1[4] = { 255, 255, 255, 254 };
				static const uint8_t nas2[4] = { 255, 255, 255, 255 };
				if (!memcmp(val, nas1, 4) || !memcmp(val, nas2, 4)) {
					s->ip4_nas = true;
				} else {
					s->ip4 = true;
					memcpy(s->addr4, val, 4);
				}
			}
			break;
		case RAD_FRAMED_IPV6_ADDRESS:
			if (len == 16) {
				s->ip6 = true;
				memcpy(s->addr6, val, 16);
			}
			break;
		case RAD_DNS_SERVER_IPV6_ADDRESS:
			if (len == 16 && s->n_dns < RADIUS_MAX_DNS) {
				s->dns[s->n_dns].family = AF_INET6;
				memcpy(s->dns[s->n_dns++].addr, val, 16);
			}
			break;
		case RAD_FRAMED_POOL:
		case RAD_FRAMED_IPV6_POOL: {
			/* any length an attribute has fits; a control byte makes a
			 * name no pool has (never a silent fallback) */
			char *n = type == RAD_FRAMED_POOL ? s->framed_pool : s->framed_pool6;
			memcpy(n, val, len);
			n[len] = '\0';
			for (size_t i = 0; i < len; i++)
				if (n[i] < 0x20 || n[i] == 0x7f)
					n[i] = '?';
			if (!len)
				snprintf(n, RAD_ATTR_MAX + 1, "?");
			break;
		}
		default:
			break;
		}
	}
	/* Filter-Id names a group when the tunnel is ESP, as strongSwan's
	 * filter_id has it */
	off = 0;
	while (rc->filter_id && esp && rad_next(v, &off, &type, &val, &len))
		if (type == RAD_FILTER_ID)
			add_group(s, val, len);
	uint32_t t;
	s->session_timeout = rad_find_u32(v, RAD_SESSION_TIMEOUT, &t) == 0 ? t : 0;
	s->interim_interval = rad_find_u32(v, RAD_ACCT_INTERIM_INTERVAL, &t) == 0 ? t : 0;
	/* Microsoft's DNS attributes: IPv4, before the IPv6 ones */
	struct conf_addr v4[2];
	int n4 = 0;
	const uint8_t types[2] = { MS_PRIMARY_DNS, MS_SECONDARY_DNS };
	for (int i = 0; i < 2; i++) {
		const uint8_t *x = rad_find_vsa(v, RAD_VENDOR_MICROSOFT, types[i], &len);
		if (x && len == 4) {
			v4[n4].family = AF_INET;
			memcpy(v4[n4++].addr, x, 4);
		}
	}
	if (n4) {
		int keep = s->n_dns + n4 > RADIUS_MAX_DNS ? RADIUS_MAX_DNS - n4 : s->n_dns;
		memmove(s->dns + n4, s->dns, sizeof(s->dns[0]) * (size_t)keep);
		memcpy(s->dns, v4, sizeof(v4[0]) * (size_t)n4);
		s->n_dns = keep + n4;
	}
	/* the name RADIUS knows the user by */
	const uint8_t *un = rad_find(v, RAD_USER_NAME, &len);
	if (!un || len == 0)
		return NAME_NONE;
	if (len == r->sent_len && memcmp(un, r->sent, len) == 0)
		return NAME_ECHO;
	if (len >= sizeof(sa->user))
		return NAME_NONE;
	char name[sizeof(sa->user)];
	for (size_t i = 0; i < len; i++)
		if (un[i] < 0x20 || un[i] == 0x7f)
			return NAME_NONE;
	memcpy(name, un, len);
	name[len] = '\0';
	s->name_from_accept = true;
	if (strcmp(name, sa->user) == 0)
		return NAME_NEW;
	log_info(LOG_IKE, "%s: RADIUS's User-Name for '%s' is '%s': the session runs as that "
	         "user", ike_sa_tag(sa), sa->user, name);
	snprintf(sa->user, sizeof(sa->user), "%s", name);
	return NAME_NEW;
}

/* MSK = MS-MPPE-Recv-Key || MS-MPPE-Send-Key (RFC 2548; the split
 * strongSwan and Windows use): 16 octets each for EAP-MSCHAPv2 (the
 * MSK's other 32 octets zero, as src/eap_mschapv2.c makes it), 32 each
 * for TLS-based methods */
static void take_msk(struct ike_sa *sa, const struct radc_answer *a)
{
	size_t rl, sl, rkl = 0, skl = 0;
	uint8_t rk[64], sk[64];
	const uint8_t *rv = rad_find_vsa(a->v, RAD_VENDOR_MICROSOFT, RAD_MS_MPPE_RECV_KEY, &rl);
	const uint8_t *sv = rad_find_vsa(a->v, RAD_VENDOR_MICROSOFT, RAD_MS_MPPE_SEND_KEY, &sl);
	sa->have_msk = false;
	memset(sa->msk, 0, sizeof(sa->msk));
	if (rv && sv &&
	    rad_mppe_key(rv, rl, a->req_auth, a->secret, a->slen, rk, sizeof(rk), &rkl) == 0 &&
	    rad_mppe_key(sv, sl, a->req_auth, a->secret, a->slen, sk, sizeof(sk), &skl) == 0 &&
	    rkl > 0 && skl > 0 && rkl + skl <= sizeof(sa->msk)) {
		memcpy(sa->msk, rk, rkl);
		memcpy(sa->msk + rkl, sk, skl);
		sa->have_msk = true;
	} else if (rv || sv) {
		log_err(LOG_IKE, "%s: the RADIUS server's MS-MPPE keys are unusable; the AUTH "
		        "payloads go without an EAP key", ike_sa_tag(sa));
	}
	OPENSSL_cleanse(rk, sizeof(rk));
	OPENSSL_cleanse(sk, sizeof(sk));
}

/* "; Framed-IP-Address 10.1.2.3, Class 1, ..." of what the Accept gave */
static void summary(const struct radius_sess *s, char *out, size_t len)
{
	size_t used = 0;
	char a[INET6_ADDRSTRLEN];
	out[0] = '\0';
#define ADD(...) do { if (used < len) { int n_ = snprintf(out + used, len - used, \
	__VA_ARGS__); if (n_ > 0) used += (size_t)n_; } } while (0)
	if (s->ip4) {
		inet_ntop(AF_INET, s->addr4, a, sizeof(a));
		ADD("%sFramed-IP-Address %s", used ? ", " : "; ", a);
	} else if (s->ip4_nas) {
		ADD("%sFramed-IP-Address: the NAS chooses", used ? ", " : "; ");
	}
	if (s->ip6) {
		inet_ntop(AF_INET6, s->addr6, a, sizeof(a));
		ADD("%sFramed-IPv6-Address %s", used ? ", " : "; ", a);
	}
	for (int i = 0; i < s->n_dns; i++) {
		inet_ntop(s->dns[i].family, s->dns[i].addr, a, sizeof(a));
		if (i)
			ADD(", %s", a);
		else
			ADD("%sDNS %s", used ? ", " : "; ", a);
	}
	if (s->framed_pool[0])
		ADD("%sFramed-Pool '%s'", used ? ", " : "; ", s->framed_pool);
	if (s->framed_pool6[0])
		ADD("%sFramed-IPv6-Pool '%s'", used ? ", " : "; ", s->framed_pool6);
	if (s->n_cls)
		ADD("%sClass x%d", used ? ", " : "; ", s->n_cls);
	for (int i = 0; i < s->n_groups; i++)
		ADD("%s'%s'", i ? ", " : "; groups ", s->groups[i]);
	if (s->session_timeout)
		ADD("%sSession-Timeout %u s", used ? ", " : "; ", s->session_timeout);
	if (s->interim_interval)
		ADD("%sAcct-Interim-Interval %u s", used ? ", " : "; ", s->interim_interval);
#undef ADD
}

/* an EAP-Failure to send when RADIUS sent none */
static size_t failure(struct relay *r, uint8_t *eap, size_t cap)
{
	return eap_put_code(eap, cap, EAP_CODE_FAILURE, r->last_id);
}

/* the answer's EAP packet and what it means for the IKE side; n is
 * what rad_concat found */
static enum eap_result judge(struct daemon *d, struct ike_sa *sa, struct relay *r,
                             const struct radc_answer *a, uint8_t *eap, size_t cap,
                             size_t *len)
{
	const struct ipsec_conf *conf = sa->cfg->owner->conf;
	uint64_t now = auth_limit_now();
	if (a->status != RADC_ANSWER) {
		log_err(LOG_IKE, "%s: RADIUS: %s", ike_sa_tag(sa), a->why);
		sa->auth_fail = "RADIUS servers do not answer";
		/* A timeout while the servers answered other requests is a
		 * failed login of the address (as a reject is): a source whose
		 * logins never get an answer (a realm proxied to nowhere, a
		 * flood) is backed off like one that keeps failing. When no
		 * server answers anyone, nobody is counted: a dead RADIUS
		 * server must not back off every user. Congestion (RADC_FAILED)
		 * is not counted either. */
		if (a->status == RADC_TIMEOUT && a->others_answered)
			auth_limit_failure(d->alim, conf, NULL, sa->user,
			                   (const struct sockaddr *)&sa->peer, now);
		if (a->status == RADC_TIMEOUT && !a->others_answered)
			silent_timeout(d, sa);
		*len = failure(r, eap, cap);
		return EAP_FAILURE;
	}
	long n = rad_concat(a->v, RAD_EAP_MESSAGE, eap, cap);
	struct eap_frame f = { 0 };
	bool framed = n > 0 && eap_frame(eap, (size_t)n, &f);
	size_t flen = framed ? ((size_t)eap[2] << 8 | eap[3]) : 0;
	if (a->v->code == RAD_ACCESS_CHALLENGE) {
		size_t sl;
		const uint8_t *st = rad_find(a->v, RAD_STATE, &sl);
		r->state_len = st ? sl : 0;
		if (st)
			memcpy(r->state, st, sl);
		if (!framed || f.code != EAP_CODE_REQUEST) {
			log_err(LOG_IKE, "%s: RADIUS server %s: Access-Challenge without an "
			        "EAP-Request", ike_sa_tag(sa), a->server);
			sa->auth_fail = "RADIUS sent no EAP-Request";
			*len = failure(r, eap, cap);
			return EAP_FAILURE;
		}
		sa->eap_id = f.id;
		if (!r->tunnel && !proves_identity(f.type))
			r->tunnel = f.type;
		log_dbg(LOG_IKE, "%s: RADIUS server %s: Access-Challenge (EAP type %u) after %u ms",
		        ike_sa_tag(sa), a->server, f.type, a->elapsed_ms);
		*len = flen;
		return EAP_CONTINUE;
	}
	if (a->v->code == RAD_ACCESS_ACCEPT) {
		struct radius_sess *s = sess_of(d, sa);
		if (!s) {
			sa->auth_fail = "out of memory";
			*len = failure(r, eap, cap);
			return EAP_FAILURE;
		}
		take_msk(sa, a);
		enum accept_name named = keep_attrs(sa, r, s, a->v);
		/* after a tunnelled method the identity cygnet relayed is the
		 * client's word, and the Accept's User-Name proves nothing by
		 * itself: FreeRADIUS repeats the request's in every EAP Accept,
		 * and servers rewrite it (realm stripped, a prefix): only the
		 * operator can say the server returns the name it authenticated */
		sa->user_unconfirmed = r->tunnel &&
		                       !(named != NAME_NONE && sa->cfg->owner->radius->trust_user_name);
		if (sa->user_unconfirmed)
			log_err(LOG_IKE, "%s: '%s' is only the identity the client gave for EAP type %u "
			        "(the Access-Accept %s): the session is nobody's for uniqueids and its "
			        "address is not that user's; see README \"RADIUS\", trust_user_name",
			        ike_sa_tag(sa), sa->user, r->tunnel,
			        named == NAME_ECHO ? "repeats it" : named == NAME_NEW ? "renames it"
			                                                              : "names no user");
		snprintf(s->server, sizeof(s->server), "%s", a->server);
		auth_limit_success(d->alim, NULL, (const struct sockaddr *)&sa->peer, now);
		char got[400];
		summary(s, got, sizeof(got));
		log_info(LOG_IKE, "%s: RADIUS server %s accepted '%s'%s%s", ike_sa_tag(sa), a->server,
		         sa->user, sa->have_msk ? "" : " (no EAP key)", got);
		sa->eap = EAP_S_DONE;
		*len = framed && f.code == EAP_CODE_SUCCESS
		       ? 4 : eap_put_code(eap, cap, EAP_CODE_SUCCESS, r->last_id);
		return EAP_SUCCESS;
	}
	size_t rl;
	const uint8_t *rm = rad_find(a->v, RAD_REPLY_MESSAGE, &rl);
	char msg[128] = "";
	if (rm) {
		size_t k = rl < sizeof(msg) - 1 ? rl : sizeof(msg) - 1;
		for (size_t i = 0; i < k; i++)
			msg[i] = rm[i] >= 0x20 && rm[i] != 0x7f ? (char)rm[i] : '?';
		msg[k] = '\0';
	}
	log_info(LOG_IKE, "%s: RADIUS server %s rejected '%s'%s%s%s", ike_sa_tag(sa), a->server,
	         sa->user, rm ? " (\"" : "", msg, rm ? "\")" : "");
	sa->auth_fail = "RADIUS Access-Reject";
	auth_limit_failure(d->alim, conf, NULL, sa->user, (const struct sockaddr *)&sa->peer, now);
	sa->eap = EAP_S_FAILED;
	*len = framed && f.code == EAP_CODE_FAILURE ? 4 : failure(r, eap, cap);
	return EAP_FAILURE;
}

static void on_answer(void *arg, const struct radc_answer *a)
{
	/* the request of a live IKE_SA: cancelled when the IKE_SA ends or
	 * its relay state goes (eap_radius_free_relay) */
	struct ike_sa *sa = arg;
	struct daemon *d = sa->d;
	struct relay *r = relay_of(sa);
	if (!r)
		return;
	r->req = NULL;
	if (a->status == RADC_ANSWER)
		d->n_radius_silent = 0;
	/* the payloads before the EAP payload are needed once (the first
	 * response): the IKE side may end sa, so nothing of r is read after */
	uint8_t *pbuf = r->prefix;
	struct ike_wr pw = r->pw;
	size_t pcap = r->pw.cap;
	r->prefix = NULL;
	uint32_t msgid = r->msgid;
	uint8_t *eap = malloc(RAD_MAX_LEN);
	size_t len = 0;
	enum eap_result res;
	if (!eap) {
		sa->auth_fail = "out of memory";
		uint8_t f4[4];
		len = failure(r, f4, sizeof(f4));
		ike_auth_eap_answer(d, sa, msgid, pbuf ? &pw : NULL, EAP_FAILURE, f4, len);
	} else {
		res = judge(d, sa, r, a, eap, RAD_MAX_LEN, &len);
		ike_auth_eap_answer(d, sa, msgid, pbuf ? &pw : NULL, res, eap, len);
		OPENSSL_cleanse(eap, RAD_MAX_LEN);
		free(eap);
	}
	if (pbuf) {
		OPENSSL_cleanse(pbuf, pcap);
		free(pbuf);
	}
	ike_sa_reap(d);
}

/* ---- after the Accept ---- */

/* another IKE_SA holds a as its virtual IP; the sessions sa replaces
 * once it is established (uniqueids) hold nothing */
static bool vip_in_use(struct daemon *d, const struct ike_sa *sa, int family, const uint8_t *a)
{
	for (const struct ike_sa *o = d->sas; o; o = o->next) {
		if (o == sa || o->state == IKE_S_DEAD || o->state == IKE_S_REKEYED ||
		    ike_auth_replaces(d, sa, o))
			continue;
		if (family == AF_INET && o->has_vip4 && memcmp(o->vip4, a, 4) == 0)
			return true;
		if (family == AF_INET6 && o->has_vip6 && memcmp(o->vip6, a, 16) == 0)
			return true;
	}
	return false;
}

static bool is_local(const struct ike_sa *sa, int family, const uint8_t *a)
{
	if (sa->local.ss_family != family)
		return false;
	if (family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)&sa->local)->sin_addr, a, 4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)&sa->local)->sin6_addr, a, 16) == 0;
}

static int take_vip(struct daemon *d, struct ike_sa *sa, int family, const uint8_t *a,
                    char *why, size_t whylen)
{
	char t[INET6_ADDRSTRLEN];
	inet_ntop(family, a, t, sizeof(t));
	struct pool *p = family == AF_INET ? sa->cfg->pool4 : sa->cfg->pool6;
	if (!addr_unicast(family, a)) {
		snprintf(why, whylen, "RADIUS gave %s, which no host can have", t);
		return -1;
	}
	if (is_local(sa, family, a)) {
		snprintf(why, whylen, "RADIUS gave the server's own address %s", t);
		return -1;
	}
	/* inside another conn's pool: that pool would hand it out again */
	const struct config *cfg = sa->cfg->owner;
	for (int i = 0; i < cfg->n_pools; i++) {
		if (cfg->pools[i] != p && pool_contains(cfg->pools[i], a)) {
			snprintf(why, whylen, "RADIUS gave %s, inside another conn's pool", t);
			return -1;
		}
	}
	if (vip_in_use(d, sa, family, a)) {
		snprintf(why, whylen, "RADIUS gave %s, the virtual IP of another session", t);
		return -1;
	}
	/* an IKE_SA that ends (replaced by this one: uniqueids) gives its
	 * address back now rather than when it is freed */
	for (struct ike_sa *o = d->sas; o; o = o->next) {
		if (o == sa || o->state != IKE_S_DEAD)
			continue;
		if (family == AF_INET && o->has_vip4 && memcmp(o->vip4, a, 4) == 0) {
			if (o->pool4)
				pool_release(o->pool4, o->vip4);
			o->has_vip4 = false;
		}
		if (family == AF_INET6 && o->has_vip6 && memcmp(o->vip6, a, 16) == 0) {
			if (o->pool6)
				pool_release(o->pool6, o->vip6);
			o->has_vip6 = false;
		}
	}
	char kb[sizeof(sa->user) + sizeof(IKE_SA_UNCONFIRMED_LEASE)];
	if (p && pool_contains(p, a)) {
		if (pool_acquire_addr(p, ike_sa_lease_id(sa, kb, sizeof(kb)), a) != 0) {
			snprintf(why, whylen, "RADIUS gave %s, leased to another session", t);
			return -1;
		}
	} else {
		p = NULL;
		log_info(LOG_IKE, "%s: %s from RADIUS is outside conn '%s''s pools: routed to the "
		         "TUN device while the session lasts", ike_sa_tag(sa), t, sa->cfg->name);
	}
	if (family == AF_INET) {
		memcpy(sa->vip4, a, 4);
		sa->has_vip4 = true;
		sa->pool4 = p;
	} else {
		memcpy(sa->vip6, a, 16);
		sa->has_vip6 = true;
		sa->pool6 = p;
	}
	return 0;
}

/* Framed-Pool for family: an address of the pool it names. 0 taken, or
 * nothing when the name has no pool of this family (the conn's pool
 * serves it); -1 with why. */
static int take_from_pool(struct ike_sa *sa, const char *name, int family, char *why,
                          size_t whylen)
{
	const struct config *cfg = sa->cfg->owner;
	int w = 0;
	struct pool *p = config_pool_named(cfg, name, family, &w);
	if (!p && w == CFG_POOL_FAMILY)
		return 0;
	if (!p) {
		char names[512];
		config_pool_names(cfg, names, sizeof(names));
		if (w == CFG_POOL_PRIVATE)
			snprintf(why, whylen, "RADIUS's Framed-Pool '%s' is the address of one identity's "
			         "conn, not a shared pool (shared pools: %s)", name, names);
		else
			snprintf(why, whylen, "RADIUS's Framed-Pool '%s' names no pool (pools: %s)", name,
			         names);
		return -1;
	}
	uint8_t *out = family == AF_INET ? sa->vip4 : sa->vip6;
	char kb[sizeof(sa->user) + sizeof(IKE_SA_UNCONFIRMED_LEASE)];
	if (pool_acquire(p, ike_sa_lease_id(sa, kb, sizeof(kb)), out) != 0) {
		snprintf(why, whylen, "RADIUS's Framed-Pool '%s' (%s) is exhausted", name, pool_name(p));
		return -1;
	}
	if (family == AF_INET) {
		sa->has_vip4 = true;
		sa->pool4 = p;
	} else {
		sa->has_vip6 = true;
		sa->pool6 = p;
	}
	char t[INET6_ADDRSTRLEN];
	inet_ntop(family, out, t, sizeof(t));
	log_info(LOG_IKE, "%s: %s from pool '%s' (%s), RADIUS's Framed-Pool", ike_sa_tag(sa), t,
	         name, pool_name(p));
	return 0;
}

int eap_radius_vips(struct daemon *d, struct ike_sa *sa, char *why, size_t whylen)
{
	struct radius_sess *s = sa->radius;
	if (!s || !sa->cfg->conn->right.sourceip_radius)
		return 0;
	if (s->ip4 && sa->want_vip4 && take_vip(d, sa, AF_INET, s->addr4, why, whylen) != 0)
		return -1;
	if (s->ip6 && sa->want_vip6 && take_vip(d, sa, AF_INET6, s->addr6, why, whylen) != 0) {
		ike_sa_drop_vips(sa);
		return -1;
	}
	/* Framed-Pool for the families Framed-IP(v6)-Address left open
	 * (RFC 2869 §5.18: a Framed-IP-Address wins); for IPv6 a
	 * Framed-IPv6-Pool (RFC 3162) comes first */
	bool asked = false;
	const char *pool6 = s->framed_pool6[0] ? s->framed_pool6 : s->framed_pool;
	if (s->framed_pool[0] && sa->want_vip4 && !sa->has_vip4) {
		asked = true;
		if (take_from_pool(sa, s->framed_pool, AF_INET, why, whylen) != 0) {
			ike_sa_drop_vips(sa);
			return -2;
		}
	}
	if (pool6[0] && sa->want_vip6 && !sa->has_vip6) {
		asked = true;
		if (take_from_pool(sa, pool6, AF_INET6, why, whylen) != 0) {
			ike_sa_drop_vips(sa);
			return -2;
		}
	}
	if (asked && !sa->has_vip4 && !sa->has_vip6) {
		/* a name that exists, but has no pool of any family the client
		 * asked for: the operator's choice cannot be honoured */
		snprintf(why, whylen, "RADIUS's Framed-Pool '%s' has no pool of the address family "
		         "the client asked for", s->framed_pool[0] ? s->framed_pool : pool6);
		return -2;
	}
	return 0;
}

void eap_radius_routes(struct daemon *d, struct ike_sa *sa)
{
	struct radius_sess *s = sa->radius;
	if (!s)
		return;
	if (sa->has_vip4 && !sa->pool4 && !s->route4 &&
	    helper_host_route(d, true, AF_INET, sa->vip4) == 0) {
		s->route4 = true;
		memcpy(s->rt4, sa->vip4, 4);
	}
	if (sa->has_vip6 && !sa->pool6 && !s->route6 &&
	    helper_host_route(d, true, AF_INET6, sa->vip6) == 0) {
		s->route6 = true;
		memcpy(s->rt6, sa->vip6, 16);
	}
}

/* another live session routes the same address (a login that replaced
 * this one and got the same address from RADIUS): the route stays */
static bool route_held(const struct ike_sa *sa, int family, const uint8_t *a)
{
	for (const struct ike_sa *o = sa->d->sas; o; o = o->next) {
		const struct radius_sess *r = o->radius;
		if (o == sa || !r || o->state == IKE_S_DEAD)
			continue;
		if (family == AF_INET ? r->route4 && memcmp(r->rt4, a, 4) == 0
		                      : r->route6 && memcmp(r->rt6, a, 16) == 0)
			return true;
	}
	return false;
}

static void unroute(struct ike_sa *sa, struct radius_sess *s)
{
	if (s->route4 && !route_held(sa, AF_INET, s->rt4))
		helper_host_route(sa->d, false, AF_INET, s->rt4);
	if (s->route6 && !route_held(sa, AF_INET6, s->rt6))
		helper_host_route(sa->d, false, AF_INET6, s->rt6);
	s->route4 = s->route6 = false;
}

int eap_radius_dns(const struct ike_sa *sa, struct conf_addr *out, int max)
{
	const struct radius_sess *s = sa->radius;
	int n = 0;
	for (int i = 0; s && i < s->n_dns && n < max; i++)
		out[n++] = s->dns[i];
	return n;
}

static void session_end(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct radius_sess *s = arg;
	struct ike_sa *sa = s->sa;
	struct daemon *d = sa->d;
	if (sa->state != IKE_S_ESTABLISHED)
		return;
	log_err(LOG_IKE, "%s: RADIUS Session-Timeout (%u s) of '%s' reached, deleting the IKE_SA",
	        ike_sa_tag(sa), s->session_timeout, sa->user);
	acct_set_cause(sa, ACCT_TC_SESSION_TIMEOUT);
	ike_sa_send_delete(d, sa);
	ike_sa_set_state(sa, IKE_S_DEAD);
	ike_sa_reap(d);
}

uint32_t eap_radius_established(struct daemon *d, struct ike_sa *sa)
{
	struct radius_sess *s = sa->radius;
	if (!s || !s->session_timeout)
		return 0;
	if (!s->end_timer)
		s->end_timer = evtimer_new(d->base, session_end, s);
	if (s->end_timer) {
		struct timeval tv = { s->session_timeout, 0 };
		evtimer_add(s->end_timer, &tv);
	}
	const struct conf_conn *cc = sa->cfg->conn;
	log_info(LOG_IKE, "%s: RADIUS Session-Timeout %u s: the session ends then%s",
	         ike_sa_tag(sa), s->session_timeout,
	         cc->reauth ? "; the client is asked to reauthenticate before (AUTH_LIFETIME)" : "");
	if (!cc->reauth)
		return 0;
	/* as for ikelifetime: the client has margintime to reauthenticate */
	return s->session_timeout > cc->margintime ? s->session_timeout - cc->margintime
	                                           : s->session_timeout;
}

void eap_radius_move(struct ike_sa *from, struct ike_sa *to)
{
	acct_move(from, to);
	to->radius = from->radius;
	from->radius = NULL;
	if (to->radius)
		to->radius->sa = to;
}

void eap_radius_sess_free(struct ike_sa *sa)
{
	struct radius_sess *s = sa->radius;
	if (!s)
		return;
	unroute(sa, s);
	if (s->end_timer)
		event_free(s->end_timer);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
	sa->radius = NULL;
}
