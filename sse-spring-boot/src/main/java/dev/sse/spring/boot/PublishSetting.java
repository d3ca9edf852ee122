package dev.sse.spring.boot;

/**
 * Reads {@code sse.publish} for either web stack: the servlet and the reactive wiring each pass their adapter's own
 * policy type, so the rule for "off", "open" and a class name is written once.
 */
final class PublishSetting {

    private PublishSetting() {
    }

    /**
     * @param value the property: blank or {@code off} for no publishing, {@code open}, or a class name
     * @param type the adapter's policy interface
     * @param open the adapter's open policy
     * @return {@code null} when publishing is off, else the policy
     * @throws IllegalArgumentException naming the property when the class cannot be made into a {@code type}
     */
    static <P> P policy(String value, Class<P> type, P open) {
        if (value == null || value.isBlank() || value.trim().equals("off")) {
            return null;
        }
        String v = value.trim();
        if (v.equals("open")) {
            return open;
        }
        try {
            Class<?> named = Class.forName(v, true, Thread.currentThread().getContextClassLoader());
            return type.cast(named.getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
            throw new IllegalArgumentException("sse.publish must be off, open, or name a public class implementing "
                    + type.getName() + " with a public no-argument constructor (was \"" + v + "\")", e);
        }
    }
}
