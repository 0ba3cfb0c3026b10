/**
 * A small OpenStack Swift client on {@code java.net.http}: auth v1.0 (tempauth) and Keystone v3,
 * the token cached and renewed (before expiry, and once on a 401), object PUT/HEAD/GET/COPY/
 * DELETE/POST, container HEAD and paged listings. Imports nothing of ours.
 */
package net.koukan.drop.swift;
