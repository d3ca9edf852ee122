package dev.sse.examples.shared;

import dev.sse.servlet.RequestBodies;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The two passes of {@code POST /api/v1/chat}, the same in every demo: the first reads and checks the prompt without
 * holding a thread, then dispatches the request again; the second finds the checked request and streams the answer.
 */
public final class ChatExchange {

    private static final String REQUEST = ChatExchange.class.getName() + ".request";

    private ChatExchange() {
    }

    /**
     * The first pass: origin, query and body, each refusal answered in JSON; the request is dispatched again with its
     * {@link ChatRequest} once the whole prompt has arrived.
     *
     * @return false if the request was refused before its body was read
     */
    public static boolean readPrompt(RequestBodies bodies, HttpServletRequest req, HttpServletResponse resp)
            throws IOException {
        if (!bodies.admit(req, resp, "chat")) {
            return false;
        }
        ChatRequest query;
        try {
            // Not getParameter: for curl's default form-encoded -d that would consume the prompt.
            query = ChatRequest.fromQuery(req.getQueryString());
        } catch (BadRequest e) {
            JsonResponses.send(resp, 400, e.json());
            return true;
        }
        bodies.read(req, resp, (prompt, body) -> {
            try {
                body.dispatch(REQUEST, query.withPrompt(prompt));
            } catch (BadRequest e) {
                body.answer(400, e.json(), false, null);
            }
        });
        return true;
    }

    /**
     * The second pass: the request the first one checked, or {@code null} after answering 500 if it is missing.
     */
    public static ChatRequest checkedRequest(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (req.getAttribute(REQUEST) instanceof ChatRequest request) {
            return request;
        }
        JsonResponses.send(resp, 500, Json.error("the chat lost its prompt", null));
        return null;
    }
}
