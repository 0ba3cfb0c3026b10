/**
 * The router process: wires configuration, storage, sessions and the REST listener together, and
 * keeps its storage session alive ({@link net.koukan.router.SessionKeeper}: refresh, takeover of
 * dead sessions' leases, self-fencing, readiness). May import every other net.koukan package
 * except cli.
 */
package net.koukan.router;
