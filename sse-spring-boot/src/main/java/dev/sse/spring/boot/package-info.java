/**
 * Spring Boot auto-configuration for dev.sse: see {@link dev.sse.spring.boot.SseAutoConfiguration} and the
 * {@code sse.*} properties in {@link dev.sse.spring.boot.SseProperties}.
 */
package dev.sse.spring.boot;
