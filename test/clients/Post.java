// A producer on Java 17's HttpClient (run as `java Post.java URL FILE RUNS [NAME VALUE]...`):
// prints one status per run, or "error <exception>" when it never got to read one.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

public class Post {
  public static void main(String[] args) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    byte[] body = Files.readAllBytes(Path.of(args[1]));
    int runs = Integer.parseInt(args[2]);
    for (int i = 0; i < runs; i++) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(args[0]))
          .timeout(Duration.ofSeconds(60))
          .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      for (int j = 3; j + 1 < args.length; j += 2) b.header(args[j], args[j + 1]);
      try {
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        System.out.println(r.statusCode());
      } catch (Exception e) {
        System.out.println("error " + e.getClass().getSimpleName());
      }
    }
  }
}
