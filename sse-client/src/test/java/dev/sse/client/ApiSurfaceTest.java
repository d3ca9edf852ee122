package dev.sse.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the public API written down in {@code api/sse-client.api}, so that every change to it shows in review.
 * After an intended change, regenerate with {@code mvn -pl sse-client test -Dtest=ApiSurfaceTest -Dapi.update=true}.
 */
class ApiSurfaceTest {

    private static final Path RECORDED = Path.of("api", "sse-client.api");

    @Test
    void publicApiMatchesTheRecordedOne() throws Exception {
        String actual = String.join("\n", describePublicApi()) + "\n";
        if (Boolean.getBoolean("api.update")) {
            Files.createDirectories(RECORDED.getParent());
            Files.writeString(RECORDED, actual, StandardCharsets.UTF_8);
        }
        assertThat(RECORDED).as("recorded API file").exists();
        assertThat(actual)
                .as("public API changed: review it, then run with -Dapi.update=true to record it")
                .isEqualTo(Files.readString(RECORDED, StandardCharsets.UTF_8));
    }

    private static List<String> describePublicApi() throws IOException, URISyntaxException, ClassNotFoundException {
        Path classes = Path.of(MessageEvent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> lines = new ArrayList<>();
        List<Path> classFiles;
        try (Stream<Path> walk = Files.walk(classes)) {
            classFiles = walk.filter(p -> p.toString().endsWith(".class")).sorted().collect(Collectors.toList());
        }
        for (Path file : classFiles) {
            String name = classes.relativize(file).toString().replace(java.io.File.separatorChar, '.');
            name = name.substring(0, name.length() - ".class".length());
            if (name.equals("module-info") || name.endsWith("package-info")) {
                continue;
            }
            Class<?> type = Class.forName(name, false, ApiSurfaceTest.class.getClassLoader());
            if (!isVisible(type)) {
                continue;
            }
            lines.add(Modifier.toString(type.getModifiers() & ~Modifier.INTERFACE & ~Modifier.ABSTRACT)
                    + " " + kind(type) + " " + type.getName());
            List<String> members = new ArrayList<>();
            for (Constructor<?> c : type.getDeclaredConstructors()) {
                if (isApi(c.getModifiers())) {
                    members.add("  new(" + params(c.getParameterTypes()) + ")");
                }
            }
            for (Method m : type.getDeclaredMethods()) {
                if (isApi(m.getModifiers()) && !m.isSynthetic()) {
                    members.add("  " + (Modifier.isStatic(m.getModifiers()) ? "static " : "")
                            + m.getGenericReturnType().getTypeName() + " " + m.getName()
                            + "(" + params(m.getParameterTypes()) + ")");
                }
            }
            for (Field f : type.getDeclaredFields()) {
                if (isApi(f.getModifiers()) && !f.isSynthetic()) {
                    members.add("  field " + f.getGenericType().getTypeName() + " " + f.getName());
                }
            }
            members.sort(null);
            lines.addAll(members);
        }
        return lines;
    }

    private static boolean isVisible(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
            if (!Modifier.isPublic(c.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    private static boolean isApi(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static String kind(Class<?> type) {
        if (type.isEnum()) {
            return "enum";
        }
        if (type.isInterface()) {
            return "interface";
        }
        return Modifier.isAbstract(type.getModifiers()) ? "abstract class" : "class";
    }

    private static String params(Class<?>[] types) {
        return Arrays.stream(types).map(Class::getTypeName).collect(Collectors.joining(", "));
    }
}
