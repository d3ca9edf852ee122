package dev.sse.examples.webflux;

import java.util.Set;

/**
 * The {@code --allow-origin} list, parsed once: origins besides the server's own whose pages may publish and chat.
 *
 * @param origins the origins, such as {@code https://app.example.com}, or {@code *}
 */
record DemoOrigins(Set<String> origins) {
}
