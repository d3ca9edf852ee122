package dev.sse.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.sse.core.http.Setting;
import dev.sse.core.http.SseSettings;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every {@code sse.*} property the starter binds is in the generated metadata and in the README's table. */
class PropertiesDocumentedTest {

    @Test
    void everyBoundPropertyIsInTheReadme() throws IOException {
        Path metadata = Path.of("target/classes/META-INF/spring-configuration-metadata.json");
        if (!Files.exists(metadata)) {
            // The Boot 3 module compiles these tests without generating the metadata: sse-spring-boot checks it.
            metadata = Path.of("../sse-spring-boot/target/classes/META-INF/spring-configuration-metadata.json");
        }
        String json = Files.readString(metadata, StandardCharsets.UTF_8);
        String readme = Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8);
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("\"name\"\\s*:\\s*\"(sse\\.[a-z0-9.-]+)\"").matcher(json);
        while (m.find()) {
            names.add(m.group(1));
        }
        // Groups ("sse.redis") are listed too: only the leaves are properties.
        names.removeIf(n -> names.stream().anyMatch(other -> other.startsWith(n + ".")));
        assertThat(names).as("properties in the generated metadata").contains("sse.path", "sse.keep-alive",
                "sse.streams.keep-alive", "sse.publish");
        List<String> missing = names.stream().filter(n -> !readme.contains("`" + n + "`")).toList();
        assertThat(missing).as("sse.* properties missing from the README's Spring Boot table").isEmpty();
    }

    /**
     * Each setting of the one table (dev.sse.core.http.SseSettings) that Boot carries is a bound property with a
     * description in the metadata, and every top-level property is a setting of the table or one of Boot's own.
     */
    @Test
    void everySettingOfTheTableIsABootPropertyWithADescription() throws IOException {
        String json = Files.readString(metadata(), StandardCharsets.UTF_8);
        List<String> undescribed = new ArrayList<>();
        for (Setting<?> s : SseSettings.all()) {
            if (s.bootProperty() == null) {
                continue;
            }
            Matcher m = Pattern.compile("\\{[^{}]*\"name\"\\s*:\\s*\"" + Pattern.quote(s.bootProperty())
                    + "\"[^{}]*}").matcher(json);
            if (!m.find() || !m.group().contains("\"description\"")) {
                undescribed.add(s.name() + " -> " + s.bootProperty());
            }
        }
        assertThat(undescribed).as("settings without a described sse.* property").isEmpty();
        Set<String> fromTable = new HashSet<>();
        SseSettings.all().forEach(s -> fromTable.add(s.bootProperty()));
        Set<String> bootsOwn = Set.of("sse.enabled", "sse.path", "sse.name");
        Matcher m = Pattern.compile("\"name\"\\s*:\\s*\"(sse\\.[a-z0-9-]+)\"").matcher(json);
        List<String> strays = new ArrayList<>();
        while (m.find()) {
            String name = m.group(1);
            if (!fromTable.contains(name) && !bootsOwn.contains(name) && !name.equals("sse.redis")
                    && !name.equals("sse.streams")) {
                strays.add(name);
            }
        }
        assertThat(strays).as("sse.* properties that are no setting of the table").isEmpty();
    }

    private static Path metadata() {
        Path metadata = Path.of("target/classes/META-INF/spring-configuration-metadata.json");
        return Files.exists(metadata) ? metadata
                : Path.of("../sse-spring-boot/target/classes/META-INF/spring-configuration-metadata.json");
    }
}
