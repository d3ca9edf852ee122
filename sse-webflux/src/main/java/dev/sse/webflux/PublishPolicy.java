package dev.sse.webflux;

import org.springframework.web.reactive.function.server.ServerRequest;

/**
 * Who may publish over HTTP to an {@link SseHandler}'s hub, and what: asked for every {@code POST} before its body is
 * read, as {@code SseServlet}'s policy is. Publishing is off until the application sets one
 * ({@link SseHandler.Builder#publishing}). A refusal is answered {@code 403}
 * {@code {"error":"this request may not publish here"}}; the origin rules ({@link RequestBodies}) apply first.
 *
 * <p>Called on the server's thread, concurrently for many requests: thread-safe, never blocking.
 */
@FunctionalInterface
public interface PublishPolicy {

    /**
     * Decides for one request.
     *
     * @param request the {@code POST}; its body is not read yet and must not be read here
     * @param event the event type asked for by the {@code event} query parameter, or {@code null} for {@code message}
     * @param topic the topic asked for by the topic query parameter, or {@code null} to publish to every stream
     * @return whether this request may publish this event
     */
    boolean mayPublish(ServerRequest request, String event, String topic);

    /**
     * Lets anyone who can reach the URL publish, subject only to the origin rules: for demos, and for servers behind a
     * gateway that already decided.
     *
     * @return the policy
     */
    static PublishPolicy open() {
        return (request, event, topic) -> true;
    }
}
