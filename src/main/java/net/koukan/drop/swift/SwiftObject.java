package net.koukan.drop.swift;

/** One entry of a container listing ({@code ?format=json}). */
public record SwiftObject(String name, long bytes, String hash, String contentType, String lastModified) {}
