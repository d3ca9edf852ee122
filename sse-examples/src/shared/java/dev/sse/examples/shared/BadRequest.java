package dev.sse.examples.shared;

/** A request the demos answer with {@code 400} and {@code {"error":"...","field":"..."}}. Thread-confined. */
public final class BadRequest extends Exception {

    private static final long serialVersionUID = 1L;
    private final String field;

    /**
     * @param message what is wrong, for the client's eyes
     * @param field the field at fault ({@code body}, a query parameter), or {@code null}
     */
    public BadRequest(String message, String field) {
        super(message, null, false, false);
        this.field = field;
    }

    /** @return the field at fault, or {@code null} */
    public String field() {
        return field;
    }

    /** @return the JSON body of the {@code 400} */
    public String json() {
        return Json.error(getMessage(), field);
    }
}
