package dev.sse.servlet;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Who may publish over HTTP to an {@link SseServlet}'s hub, and what: the servlet asks it for every {@code POST}
 * before the body is read. Publishing is off until the application sets one ({@link SseServlet.Builder#publishing}
 * or the {@code publish} init-param), so that no deployment lets anyone broadcast by accident.
 *
 * <pre>{@code
 * SseServlet.builder().hub(hub).publishing((request, event, topic) ->
 *         request.isUserInRole("publisher") && (topic == null || topic.startsWith("news."))).build();
 * }</pre>
 *
 * <p>Authentication is the container's (or a filter's) job before the servlet runs: the policy reads its result from
 * {@link HttpServletRequest#getUserPrincipal()}, {@code isUserInRole}, or headers it checks itself. A refusal is
 * answered {@code 403} with {@code {"error":"this request may not publish here"}} and nothing is read or broadcast.
 * The browser-origin rules of publishing (see {@link SseServlet}) apply before the policy, whatever it says.
 *
 * <p>Called on the container thread serving the request, concurrently for many requests: implementations must be
 * thread-safe and must not block. A policy named by the {@code publish} init-param needs a public no-argument
 * constructor.
 */
@FunctionalInterface
public interface PublishPolicy {

    /**
     * Decides for one request.
     *
     * @param request the {@code POST}; its body is not read yet and must not be read here
     * @param event the event type asked for by the {@code event} query parameter, or {@code null} for {@code message}
     * @param topic the topic asked for by the servlet's topic query parameter (default {@code topic}), or {@code null}
     *              to publish to every stream
     * @return whether this request may publish this event
     */
    boolean mayPublish(HttpServletRequest request, String event, String topic);

    /**
     * Lets anyone who can reach the URL publish, subject only to the origin rules: for demos and for servers behind a
     * gateway that already decided. The init-param value {@code open} means this policy.
     *
     * @return the policy
     */
    static PublishPolicy open() {
        return OpenPublishing.INSTANCE;
    }
}
