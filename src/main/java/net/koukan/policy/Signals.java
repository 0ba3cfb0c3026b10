package net.koukan.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import net.koukan.filter.FilterTx;

/**
 * Signals: what filters record in {@link FilterTx#filterOutput()} for policies to match on, keyed
 * by the filter's name. The reference's Python class names are accepted as matcher names (and
 * as keys when reading output, e.g. from a reference peer); everything we write uses our names.
 *
 * <p>JSON shapes (a key that is absent means "not known": a matcher that needs it says
 * PRECONDITION_UNMET; a whole signal that is absent is PRECONDITION_UNMET too):
 *
 * <pre>
 * message_validation  (written by message_validation on the finished body)
 *   {"validity": "NONE"|"BASIC"|"MEDIUM"|"HIGH",
 *    "error": "first problem that kept it from the next level"   (absent when HIGH),
 *    "received_count": 3                                          (absent when NONE),
 *    "header_from": "alice@example.com"   (absent unless the From header has exactly one mailbox)}
 *
 * dkim_check  (one entry per DKIM-Signature header, in header order)
 *   {"signatures": [{"status": "dkim_pass"|"fail"|"temp_err"|"perm_err"|"unknown_algo",
 *                 "domain": "example.com",                        (d=)
 *                 "alignment": "domain"|"same_sld"|"other",  (d= vs the header From domain;
 *                                                             absent when that is unknown)
 *                 "headers": ["from", "to", ...], "tags": {"s": "sel", ...},
 *                 "timestamp": 1700000000, "expiration": 1700600000}]}      (optional)
 *
 * spf_check  (at MAIL)
 *   {"mail_from_result": "pass"|"fail"|"softfail"|"neutral"|"none"|"temperror"|"permerror",
 *    "mail_from_domain": "example.com",
 *    "extra_domains": {"example.net": "pass", ...}}
 *
 * dns_resolution
 *   {"mail_result": "OK"|"NX"|"TEMP",                      (MAIL FROM domain)
 *    "rcpt_result": ["OK", null, "NX", ...],               (by recipient index; null = no domain)
 *    "resolution_result": "OK"|"NX"|"TEMP"}                (the routed next-hop hosts)
 *
 * remote_host  (at MAIL, transactions with a remote IP only)
 *   {"status": "OK"|"NOT_FOUND"|"TEMP", "ptr": ["mx.example.com.", ...],
 *    "hostname": "mx.example.com",   (the forward-confirmed PTR name; optional, else ptr[0])
 *    "fcrdns": true, "ehlo_alignment": false}
 *
 * policy_action
 *   {"matched_tags": ["t1", ...], "matched_rules": ["r1", ...]}
 * </pre>
 */
public final class Signals {
  private Signals() {}

  public static final String MESSAGE_VALIDATION = "message_validation";
  public static final String DKIM_CHECK = "dkim_check";
  public static final String SPF_CHECK = "spf_check";
  public static final String DNS_RESOLUTION = "dns_resolution";
  public static final String REMOTE_HOST = "remote_host";
  public static final String POLICY_ACTION = "policy_action";

  /** Our key → the reference's (Python class name) key. */
  public static final Map<String, String> REFERENCE_NAMES = Map.of(
      MESSAGE_VALIDATION, "koukan.message_validation_filter.MessageValidationFilter",
      DKIM_CHECK, "koukan.dkim_check_filter.DkimCheckFilter",
      SPF_CHECK, "koukan.spf_check_filter.SpfCheckFilter",
      DNS_RESOLUTION, "koukan.mx_resolution.DnsResolutionFilter",
      REMOTE_HOST, "koukan.remote_host_filter.RemoteHostFilter",
      POLICY_ACTION, "koukan.policy_action_filter.PolicyActionFilter");

  /** The signal {@code key} of {@code tx} (under our name, else the reference's), or null. */
  public static JsonNode get(FilterTx tx, String key) {
    JsonNode n = tx.filterOutput().get(key);
    if (n == null || n.isNull()) {
      String alias = REFERENCE_NAMES.get(key);
      n = alias == null ? null : tx.filterOutput().get(alias);
    }
    return n == null || n.isNull() ? null : n;
  }
}
