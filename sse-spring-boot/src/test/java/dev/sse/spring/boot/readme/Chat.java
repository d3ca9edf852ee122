package dev.sse.spring.boot.readme;

import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** README, "Streaming one response", the Spring MVC form, verbatim (see ReadmeSnippetsTest); compiled. */
@RestController
class Chat {

    /** Answers a prompt word by word. */
    static final class Generator {
        void start(String prompt, SseStream stream) {
            for (String word : prompt.split(" ")) {
                stream.send(SseEvent.of("token", word));
            }
            stream.complete(SseEvent.data("[DONE]"));
        }
    }

    private final Generator generator = new Generator();

@PostMapping("/chat") void chat(@RequestBody String prompt, SseStream stream) { generator.start(prompt, stream); }
}
