using System.Globalization;
using System.Text;
using Mnemo.Context.Replay;
using Mnemo.Sessions;

namespace Mnemo.Cli;

/// <summary>A replay's results as session records (<c>mnemo context replay --record</c>), so replayed sessions show on the
/// dashboard beside live ones: one record per configuration, its source <c>replay</c>, its agent <c>replay: NAME</c>, each
/// request with the usage the replay gives it and, as its baseline, the same request without editing.</summary>
internal static class ReplayRecords
{
    public static async Task<IReadOnlyList<string>> WriteAsync(
        ISessionRecordStore records, string source, ReplaySession session, IReadOnlyList<ReplayResult> results, string? model, CancellationToken cancellationToken)
    {
        var baseline = results.First(result => result.Name == ContextReplay.NoEditing);
        var requests = session.Segments.SelectMany(segment => segment.Requests).ToList();
        var now = DateTimeOffset.UtcNow;
        var stem = Slug(Path.GetFileNameWithoutExtension(source));
        var written = new List<string>();
        foreach (var result in results)
        {
            var id = $"replay-{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}-{stem}-{Slug(result.Name)}";
            id = id.Length > 100 ? id[..100] : id;
            var clock = new ReplayClock(requests.FirstOrDefault()?.At ?? now);
            var recorder = new SessionRecorder(records, new SessionInfo { Agent = "replay: " + result.Name, Model = model, Source = SessionRecords.Replay, Side = "client" }, id, clock);
            for (var i = 0; i < result.Rows.Count; i++)
            {
                var row = result.Rows[i];
                var unedited = baseline.Rows[i];
                clock.Now = i < requests.Count && requests[i].At is { } at ? at : clock.Now;
                var output = i < requests.Count ? requests[i].Usage?.OutputTokens ?? 0 : 0;
                recorder.Request(row.Number, i < requests.Count ? requests[i].MessageCount : 0, row.InputTokens, null);
                if (row.ClearedInputTokens > 0)
                {
                    recorder.Clearing(row.Number, "client", row.ClearedInputTokens, 0, [.. Enumerable.Repeat((string.Empty, string.Empty), row.NewlyCleared)]);
                }

                recorder.Response(row.Number, null, new SessionUsage(row.UncachedTokens, row.CacheWriteTokens, row.CacheReadTokens, output),
                    new SessionUsage(unedited.UncachedTokens, unedited.CacheWriteTokens, unedited.CacheReadTokens, output));
            }

            recorder.End(result.Rows.Count == 0 ? 0 : result.Rows[^1].Number, "replayed");
            await recorder.FlushAsync(cancellationToken).ConfigureAwait(false);
            written.Add(id);
        }

        return written;
    }

    private static string Slug(string text)
    {
        var slug = new StringBuilder();
        foreach (var c in text.ToLowerInvariant())
        {
            slug.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        }

        return slug.ToString().Trim('-') is { Length: > 0 } done ? done : "session";
    }

    /// <summary>The replayed requests' own times, where the transcript has them.</summary>
    private sealed class ReplayClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
