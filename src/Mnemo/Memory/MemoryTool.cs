using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Mnemo.Memory;

/// <summary>Executes <c>memory_20250818</c> commands against a store, with results identical to Anthropic's reference.</summary>
/// <remarks>
/// <para>Every result string lives here, so every store gives the same text. A failure the model should see is a result
/// with <see cref="MemoryToolResult.IsError"/> set; nothing else is thrown but caller cancellation. Unexpected failures
/// become a generic message and go to <see cref="MemoryToolOptions.UnexpectedError"/>; no host path or stack trace
/// reaches the model.</para>
/// <para>Edits read the file, compute the new text and write it only if the file is unchanged, retrying on conflict,
/// so concurrent commands never lose an update. The tool is thread-safe when its store is.</para>
/// </remarks>
public sealed class MemoryTool
{
    private const int MaxLines = 999_999;
    private const int MaxViewCharacters = 16_000;
    private const int SnippetLines = 2;
    private const int NumberWidth = 7; // "{n:6d}\t"

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly MemoryToolOptions _options;

    /// <summary>Initializes a new instance of the <see cref="MemoryTool"/> class.</summary>
    /// <param name="store">The store that holds the memory files.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    public MemoryTool(IMemoryStore store, MemoryToolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        Store = store;
        _options = (options ?? new MemoryToolOptions()).Validated();
    }

    /// <summary>Gets the store the tool works on.</summary>
    public IMemoryStore Store { get; }

    /// <summary>Executes a command given as JSON text, such as one line of the JSON-lines executor.</summary>
    /// <param name="json">The command object.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The result to send back to the model.</returns>
    public ValueTask<MemoryToolResult> ExecuteAsync(string json, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException exception)
        {
            var result = MemoryToolResult.Error(MemoryMessages.InvalidJson(OneLine(exception.Message)));
            Audit(null, _options.Actor, result, TimeSpan.Zero);
            return ValueTask.FromResult(result);
        }

        return ExecuteAndDisposeAsync(document, cancellationToken);
    }

    /// <summary>Executes a command given as the <c>input</c> object of a <c>tool_use</c> block.</summary>
    /// <param name="input">The command object.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The result to send back to the model.</returns>
    public ValueTask<MemoryToolResult> ExecuteAsync(JsonElement input, CancellationToken cancellationToken = default)
    {
        if (MemoryCommand.TryParse(input, out var command, out var error))
        {
            return ExecuteAsync(command, cancellationToken);
        }

        var result = MemoryToolResult.Error(error);
        Audit(null, _options.Actor, result, TimeSpan.Zero);
        return ValueTask.FromResult(result);
    }

    /// <summary>Executes a parsed command as the actor the options name.</summary>
    /// <param name="command">The command.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The result to send back to the model.</returns>
    public ValueTask<MemoryToolResult> ExecuteAsync(MemoryCommand command, CancellationToken cancellationToken = default) =>
        ExecuteAsync(command, _options.Actor, cancellationToken);

    /// <summary>Executes a parsed command on behalf of an actor, whom the store's history and the audit log name.</summary>
    /// <param name="command">The command.</param>
    /// <param name="actor">Who runs it: a session, a user, an API key's owner; <see langword="null"/> when unknown.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The result to send back to the model.</returns>
    public async ValueTask<MemoryToolResult> ExecuteAsync(MemoryCommand command, string? actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var started = _options.TimeProvider.GetTimestamp();
        var screening = _options.Safety?.Screen(command);
        MemoryToolResult result;
        switch (screening?.Action)
        {
            case Safety.MemorySafetyAction.Reject:
                result = MemoryToolResult.Error(screening.Refusal(_options.Safety!.Policy, held: false));
                break;
            case Safety.MemorySafetyAction.Quarantine:
                result = await QuarantineAsync(screening, actor, cancellationToken).ConfigureAwait(false);
                break;
            default:
                result = await ExecuteCoreAsync(screening?.Command ?? command, new MemoryWriteContext(actor, command.Name), cancellationToken).ConfigureAwait(false);
                if (!result.IsError && screening?.RedactionNote is { } note)
                {
                    result = MemoryToolResult.Ok(result.Content + note);
                }

                break;
        }

        Audit(command, actor, result, _options.TimeProvider.GetElapsedTime(started), screening);
        return result;
    }

    /// <summary>Keeps a write the policy holds back out of memory, for an administrator; rejects it when nothing can keep it.</summary>
    private async ValueTask<MemoryToolResult> QuarantineAsync(Safety.MemoryScreening screening, string? actor, CancellationToken cancellationToken)
    {
        var safety = _options.Safety!;
        if (safety.Quarantine is not { } quarantine)
        {
            return MemoryToolResult.Error(screening.Refusal(safety.Policy, held: false));
        }

        var path = screening.Command switch
        {
            CreateMemoryCommand create => create.Path,
            StrReplaceMemoryCommand replace => replace.Path,
            InsertMemoryCommand insert => insert.Path,
            _ => null,
        };
        try
        {
            await quarantine.HoldAsync(
                new Safety.QuarantinedWrite(_options.TimeProvider.GetUtcNow(), actor, screening.Command.Name, path, screening.Text, screening.Findings),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or MemoryException)
        {
            _options.UnexpectedError?.Invoke(screening.Command, exception);
            return MemoryToolResult.Error(screening.Refusal(safety.Policy, held: false));
        }

        return MemoryToolResult.Error(screening.Refusal(safety.Policy, held: true));
    }

    private void Audit(MemoryCommand? command, string? actor, MemoryToolResult result, TimeSpan duration, Safety.MemoryScreening? screening = null)
    {
        if (_options.AuditLog is not { } log)
        {
            return;
        }

        var (path, destination) = command switch
        {
            RenameMemoryCommand rename => (rename.OldPath, rename.NewPath),
            ViewMemoryCommand view => (view.Path, null),
            CreateMemoryCommand create => (create.Path, null),
            StrReplaceMemoryCommand replace => (replace.Path, null),
            InsertMemoryCommand insert => (insert.Path, null),
            DeleteMemoryCommand delete => (delete.Path, (string?)null),
            _ => (null, null),
        };
        var error = result.IsError ? OneLine(result.Content) : null;
        try
        {
            log.Record(new MemoryAuditEntry(_options.TimeProvider.GetUtcNow(), actor, command?.Name ?? "invalid", path, destination, result.IsError, error, duration)
            {
                Findings = screening?.Findings ?? [],
                SafetyAction = screening is { Findings.Count: > 0 } ? screening.Action : null,
            });
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or MemoryException)
        {
            // The command already happened; a full audit disk must not turn its result into a failure. The host hears of it.
            _options.UnexpectedError?.Invoke(command ?? new ViewMemoryCommand(MemoryPath.Root), exception);
        }
    }

    private async ValueTask<MemoryToolResult> ExecuteCoreAsync(MemoryCommand command, MemoryWriteContext context, CancellationToken cancellationToken)
    {
        try
        {
            return command switch
            {
                ViewMemoryCommand view => await ViewAsync(view, cancellationToken).ConfigureAwait(false),
                CreateMemoryCommand create => await CreateAsync(create, context, cancellationToken).ConfigureAwait(false),
                StrReplaceMemoryCommand replace => await StrReplaceAsync(replace, context, cancellationToken).ConfigureAwait(false),
                InsertMemoryCommand insert => await InsertAsync(insert, context, cancellationToken).ConfigureAwait(false),
                DeleteMemoryCommand delete => await DeleteAsync(delete, context, cancellationToken).ConfigureAwait(false),
                RenameMemoryCommand rename => await RenameAsync(rename, context, cancellationToken).ConfigureAwait(false),
                _ => MemoryToolResult.Error(MemoryMessages.UnknownCommand(command.Name)),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (MemoryPathEscapeException exception)
        {
            return MemoryToolResult.Error(MemoryMessages.Escapes(exception.Path.Original));
        }
        catch (MemoryParentNotDirectoryException exception)
        {
            return MemoryToolResult.Error(MemoryMessages.ParentIsFile(exception.Path.Original));
        }
        catch (MemoryQuotaExceededException exception)
        {
            return MemoryToolResult.Error(exception.Message);
        }
        catch (MemoryStoreException exception)
        {
            _options.UnexpectedError?.Invoke(command, exception);
            return MemoryToolResult.Error(MemoryMessages.StoreFailed(command.Name, OneLine(exception.Message)));
        }
        catch (Exception exception)
        {
            _options.UnexpectedError?.Invoke(command, exception);
            return MemoryToolResult.Error(MemoryMessages.InternalError(command.Name));
        }
    }

    private async ValueTask<MemoryToolResult> ExecuteAndDisposeAsync(JsonDocument document, CancellationToken cancellationToken)
    {
        using (document)
        {
            return await ExecuteAsync(document.RootElement, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<MemoryToolResult> ViewAsync(ViewMemoryCommand command, CancellationToken cancellationToken)
    {
        if (!TryParsePath(command.Path, out var path, out var failure))
        {
            return failure;
        }

        var item = await Store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        if (item is null)
        {
            return MemoryToolResult.Error(MemoryMessages.DoesNotExistPlease(path.Original));
        }

        if (item.Kind == MemoryEntryKind.Directory)
        {
            var entries = await Store.ListAsync(path, 2, cancellationToken).ConfigureAwait(false);
            return entries is null
                ? MemoryToolResult.Error(MemoryMessages.DoesNotExistPlease(path.Original))
                : MemoryToolResult.Ok(FormatListing(path.Original, entries));
        }

        // A view works on the bytes and decodes only the lines it shows: a large file costs one validation pass, not a copy.
        var content = item.Content.Span;
        if (!Utf8.IsValid(content))
        {
            return MemoryToolResult.Error(MemoryMessages.NotUtf8(path.Original));
        }

        if (content.Contains((byte)'\r'))
        {
            content = NormalizeNewlines(content);
        }

        var lineCount = content.Count((byte)'\n') + 1;
        if (lineCount > MaxLines)
        {
            return MemoryToolResult.Error(MemoryMessages.TooManyLines(path.Original));
        }

        var (start, stop) = (0, lineCount);
        if (command.ViewRange is [var first, var last])
        {
            start = (int)Math.Min(Math.Max(1, first) - 1, lineCount);
            stop = last == -1 ? lineCount : (int)PythonIndex(last, lineCount);
        }

        var view = FormatFile(path.Original, content, lineCount, start, stop);
        return MemoryToolResult.Ok(_options.FrameMemoryAsData ? view + MemoryMessages.DataFrame : view);
    }

    private async ValueTask<MemoryToolResult> CreateAsync(CreateMemoryCommand command, MemoryWriteContext context, CancellationToken cancellationToken)
    {
        if (!TryParsePath(command.Path, out var path, out var failure))
        {
            return failure;
        }

        if (path.IsRoot)
        {
            return MemoryToolResult.Error(MemoryMessages.AlreadyExists(path.Original));
        }

        if (!TryEncode(path, command.FileText, out var bytes, out failure))
        {
            return failure;
        }

        return await Store.CreateFileAsync(path, bytes, context, cancellationToken).ConfigureAwait(false)
            ? MemoryToolResult.Ok(MemoryMessages.Created(path.Original))
            : MemoryToolResult.Error(MemoryMessages.AlreadyExists(path.Original));
    }

    private ValueTask<MemoryToolResult> StrReplaceAsync(StrReplaceMemoryCommand command, MemoryWriteContext context, CancellationToken cancellationToken)
    {
        // Matching UTF-8 bytes finds what matching the decoded text would: in valid UTF-8 a match of a whole encoded
        // string can only start and end on character boundaries. A string no encoder can write never occurs in a file.
        var oldBytes = TryEncodeStrict(command.OldStr);
        var newBytes = Encoding.UTF8.GetBytes(command.NewStr ?? string.Empty);
        return EditAsync(command.Path, content =>
        {
            if (command.OldStr.Length == 0)
            {
                return Edit.Fail(MemoryMessages.EmptyOldStr);
            }

            var index = oldBytes is null ? -1 : content.IndexOf(oldBytes);
            if (index < 0)
            {
                return Edit.Fail(MemoryMessages.NotFound(command.OldStr, command.Path));
            }

            if (content[(index + oldBytes!.Length)..].IndexOf(oldBytes) >= 0)
            {
                return Edit.Fail(MemoryMessages.Multiple(command.OldStr, OccurrenceLines(content, oldBytes)));
            }

            var line = content[..index].Count((byte)'\n');
            var updated = new EditBuffer(content.Length - oldBytes.Length + newBytes.Length);
            updated.Append(content[..index]).Append(newBytes).Append(content[(index + oldBytes.Length)..]);
            return Edit.Write(updated, result => MemoryMessages.Edited + Snippet(result, line));
        }, context, cancellationToken);
    }

    private ValueTask<MemoryToolResult> InsertAsync(InsertMemoryCommand command, MemoryWriteContext context, CancellationToken cancellationToken)
    {
        var inserted = Encoding.UTF8.GetBytes(command.InsertText.TrimEnd('\n'));
        return EditAsync(command.Path, content =>
        {
            // Lines as the reference counts them: split on newlines, less one empty last element after a final newline.
            var endsWithNewline = content.Length > 0 && content[^1] == (byte)'\n';
            var count = content.Length == 0 ? 0 : content.Count((byte)'\n') + (endsWithNewline ? 0 : 1);
            if (command.InsertLine < 0 || command.InsertLine > count)
            {
                return Edit.Fail(MemoryMessages.InsertRange(command.InsertLine, count));
            }

            var updated = new EditBuffer(content.Length + inserted.Length + 2);
            if (command.InsertLine == count)
            {
                updated.Append(content);
                if (content.Length > 0 && !endsWithNewline)
                {
                    updated.Append("\n"u8);
                }

                updated.Append(inserted).Append("\n"u8);
            }
            else
            {
                // A line that exists starts before the end, so the text after the insertion is never empty.
                var at = LineStart(content, (int)command.InsertLine);
                updated.Append(content[..at]).Append(inserted).Append("\n"u8).Append(content[at..]);
                if (!endsWithNewline)
                {
                    updated.Append("\n"u8);
                }
            }

            return Edit.Write(updated, _ => MemoryMessages.Inserted(command.Path));
        }, context, cancellationToken);
    }

    private async ValueTask<MemoryToolResult> DeleteAsync(DeleteMemoryCommand command, MemoryWriteContext context, CancellationToken cancellationToken)
    {
        if (!TryParsePath(command.Path, out var path, out var failure))
        {
            return failure;
        }

        if (path.IsRoot)
        {
            return MemoryToolResult.Error(MemoryMessages.CannotDeleteRoot);
        }

        return await Store.DeleteAsync(path, context, cancellationToken).ConfigureAwait(false) switch
        {
            MemoryDeleteOutcome.Deleted => MemoryToolResult.Ok(MemoryMessages.Deleted(path.Original)),
            MemoryDeleteOutcome.Root => MemoryToolResult.Error(MemoryMessages.CannotDeleteRoot),
            _ => MemoryToolResult.Error(MemoryMessages.DoesNotExist(path.Original)),
        };
    }

    private async ValueTask<MemoryToolResult> RenameAsync(RenameMemoryCommand command, MemoryWriteContext context, CancellationToken cancellationToken)
    {
        if (!TryParsePath(command.OldPath, out var source, out var failure) || !TryParsePath(command.NewPath, out var destination, out failure))
        {
            return failure;
        }

        if (source.IsRoot || destination.IsRoot)
        {
            return MemoryToolResult.Error(MemoryMessages.CannotRenameRoot);
        }

        return await Store.RenameAsync(source, destination, context, cancellationToken).ConfigureAwait(false) switch
        {
            MemoryRenameOutcome.Renamed => MemoryToolResult.Ok(MemoryMessages.Renamed(source.Original, destination.Original)),
            MemoryRenameOutcome.Root => MemoryToolResult.Error(MemoryMessages.CannotRenameRoot),
            MemoryRenameOutcome.DestinationExists => MemoryToolResult.Error(MemoryMessages.DestinationExists(destination.Original)),
            MemoryRenameOutcome.DestinationInsideSource =>
                MemoryToolResult.Error(MemoryMessages.InsideSource(source.Original, destination.Original)),
            _ => MemoryToolResult.Error(MemoryMessages.DoesNotExist(source.Original)),
        };
    }

    /// <summary>Runs a read-modify-write edit, retrying while other writers change the file in between.</summary>
    /// <remarks>
    /// Edits work on the file's UTF-8 bytes and build the new file in a pooled buffer: an edit of a large file costs the
    /// read and the write, not a decoded copy, an edited copy and an encoded copy of it.
    /// </remarks>
    private async ValueTask<MemoryToolResult> EditAsync(string rawPath, Editor edit, MemoryWriteContext context, CancellationToken cancellationToken)
    {
        if (!TryParsePath(rawPath, out var path, out var failure))
        {
            return failure;
        }

        for (var attempt = 0; attempt <= _options.MaxConflictRetries; attempt++)
        {
            var item = await Store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
            if (item is null)
            {
                return MemoryToolResult.Error(MemoryMessages.DoesNotExistPlease(path.Original));
            }

            if (item.Kind == MemoryEntryKind.Directory)
            {
                return MemoryToolResult.Error(MemoryMessages.NotAFile(path.Original));
            }

            // Strict UTF-8 (a BOM is kept as it is), with CRLF and lone CR folded into LF as the reference's reading does.
            var content = item.Content;
            if (!Utf8.IsValid(content.Span))
            {
                return MemoryToolResult.Error(MemoryMessages.NotUtf8(path.Original));
            }

            if (content.Span.Contains((byte)'\r'))
            {
                content = NormalizeNewlines(content.Span);
            }

            var result = edit(content.Span);
            if (result.Failure is not null)
            {
                return MemoryToolResult.Error(result.Failure);
            }

            using (var updated = result.Updated!)
            {
                if (updated.Length > _options.MaxFileBytes)
                {
                    return MemoryToolResult.Error(MemoryMessages.TooLarge(path.Original, updated.Length, _options.MaxFileBytes));
                }

                if (await Store.ReplaceFileAsync(path, updated.Memory, item, context, cancellationToken).ConfigureAwait(false))
                {
                    return MemoryToolResult.Ok(result.Success!(updated.Memory.Span));
                }
            }

            // Another writer got in between: back off a little, more with each retry, so a crowd of writers spreads out.
            if (attempt > 2)
            {
                await Task.Delay(Random.Shared.Next(0, Math.Min(attempt, 20)), cancellationToken).ConfigureAwait(false);
            }
        }

        return MemoryToolResult.Error(MemoryMessages.Busy(path.Original));
    }

    /// <summary>Encodes text as UTF-8; <see langword="null"/> when it holds an unpaired surrogate, which no file can hold.</summary>
    private static byte[]? TryEncodeStrict(string text)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException)
        {
            return null;
        }
    }

    private bool TryEncode(MemoryPath path, string text, out byte[] bytes, out MemoryToolResult failure)
    {
        var count = Encoding.UTF8.GetByteCount(text);
        if (count > _options.MaxFileBytes)
        {
            (bytes, failure) = ([], MemoryToolResult.Error(MemoryMessages.TooLarge(path.Original, count, _options.MaxFileBytes)));
            return false;
        }

        (bytes, failure) = (Encoding.UTF8.GetBytes(text), default);
        return true;
    }

    private static bool TryParsePath(string raw, out MemoryPath path, out MemoryToolResult failure)
    {
        if (MemoryPath.TryParse(raw, out var parsed, out var error))
        {
            (path, failure) = (parsed, default);
            return true;
        }

        path = MemoryPath.RootPath;
        failure = MemoryToolResult.Error(error switch
        {
            MemoryPathError.Escapes => MemoryMessages.Escapes(raw),
            MemoryPathError.ControlCharacter => MemoryMessages.ControlCharacter(raw),
            MemoryPathError.InvalidUnicode => MemoryMessages.InvalidUnicode(raw),
            MemoryPathError.TooLong => MemoryMessages.TooLong(raw),
            _ => MemoryMessages.BadPrefix(raw),
        });
        return false;
    }

    private static string FormatListing(string shownPath, IReadOnlyList<MemoryEntry> entries)
    {
        var builder = new StringBuilder(MemoryMessages.DirectoryHeader(shownPath)).Append('\n').Append("4K\t").Append(shownPath);
        AppendEntries(builder, shownPath, entries);
        return builder.ToString();

        static void AppendEntries(StringBuilder builder, string prefix, IReadOnlyList<MemoryEntry> entries)
        {
            var shown = new List<MemoryEntry>(entries.Count);
            foreach (var entry in entries)
            {
                if (!entry.Name.StartsWith('.'))
                {
                    shown.Add(entry);
                }
            }

            shown.Sort(static (x, y) => CodePointComparer.Instance.Compare(x.Name, y.Name));
            foreach (var entry in shown)
            {
                var path = prefix + "/" + entry.Name;
                if (entry.Kind == MemoryEntryKind.Directory)
                {
                    builder.Append("\n4K\t").Append(path).Append('/');
                    if (entry.Children is not null)
                    {
                        AppendEntries(builder, path, entry.Children);
                    }
                }
                else
                {
                    builder.Append('\n').Append(FormatSize(entry.Size)).Append('\t').Append(path);
                }
            }
        }
    }

    /// <summary>Formats a size as the reference does: <c>0B</c>, <c>1023B</c>, <c>1K</c>, <c>1.5K</c>, <c>1.2M</c>.</summary>
    internal static string FormatSize(long size)
    {
        if (size < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{size}B");
        }

        var unit = Math.Min((63 - long.LeadingZeroCount(size)) / 10, 3);
        var divisor = 1L << (int)(10 * unit);
        var suffix = "BKMG"[(int)unit];
        return size % divisor == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{size / divisor}{suffix}")
            : string.Create(CultureInfo.InvariantCulture, $"{((double)size / divisor).ToString("F1", CultureInfo.InvariantCulture)}{suffix}");
    }

    /// <summary>Formats lines [<paramref name="start"/>, <paramref name="stop"/>) of UTF-8 content as the reference does.</summary>
    /// <remarks>
    /// The body is built in one buffer of at most <see cref="MaxViewCharacters"/> characters: each line is decoded straight
    /// into it behind its number. UTF-8 never decodes to more characters than it has bytes, so a line whose byte count
    /// fits the space left needs no counting first; only a line near the limit is counted exactly.
    /// </remarks>
    private static string FormatFile(string shownPath, ReadOnlySpan<byte> content, int lineCount, int start, int stop)
    {
        var offset = 0;
        for (var i = 0; i < start && offset < content.Length; i++)
        {
            var next = content[offset..].IndexOf((byte)'\n');
            offset = next < 0 ? content.Length : offset + next + 1;
        }

        var buffer = ArrayPool<char>.Shared.Rent(MaxViewCharacters);
        try
        {
            var length = 0;
            string? tail = null;
            for (var i = start; i < stop; i++)
            {
                var rest = content[offset..];
                var end = rest.IndexOf((byte)'\n');
                var lineBytes = end < 0 ? rest : rest[..end];
                offset += lineBytes.Length + 1;
                var separator = i > start ? 1 : 0;
                var room = MaxViewCharacters - length - separator - NumberWidth;
                if (lineBytes.Length > room && Encoding.UTF8.GetCharCount(lineBytes) > room)
                {
                    if (i == start)
                    {
                        length = WriteNumber(buffer, 0, i);
                        length = WriteCutLine(buffer, length, lineBytes);
                        tail = "\n" + MemoryMessages.TruncatedLongLine(i + 1, lineCount);
                    }
                    else
                    {
                        tail = "\n" + MemoryMessages.Truncated(start + 1, i, lineCount);
                    }

                    break;
                }

                if (separator != 0)
                {
                    buffer[length++] = '\n';
                }

                length = WriteNumber(buffer, length, i);
                length += Encoding.UTF8.GetChars(lineBytes, buffer.AsSpan(length));
            }

            return string.Concat(MemoryMessages.FileHeader(shownPath), "\n", buffer.AsSpan(0, length), tail);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes a 1-based line number right-aligned in six places and a tab, as <c>f"{n:6d}\t"</c> does.</summary>
    private static int WriteNumber(Span<char> buffer, int at, int index)
    {
        var number = buffer.Slice(at, NumberWidth - 1);
        number.Fill(' ');
        var value = index + 1;
        Span<char> digits = stackalloc char[10];
        _ = value.TryFormat(digits, out var written, provider: CultureInfo.InvariantCulture);
        digits[..written].CopyTo(number[Math.Max(0, number.Length - written)..]);
        buffer[at + NumberWidth - 1] = '\t';
        return at + NumberWidth;
    }

    /// <summary>Writes as much of a line as fits the view, never ending on half of a surrogate pair.</summary>
    private static int WriteCutLine(char[] buffer, int at, ReadOnlySpan<byte> line)
    {
        // A character takes at most four bytes, so this many bytes hold more than the characters that fit; the decoder
        // may end the slice on a broken sequence, but that lies past the cut.
        var room = MaxViewCharacters - at;
        var slice = line[..Math.Min(line.Length, (room + 1) * 4)];
        var decoded = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(slice.Length));
        try
        {
            var count = Encoding.UTF8.GetChars(slice, decoded);
            var take = Math.Min(count, room);
            if (take == room && take < count && char.IsHighSurrogate(decoded[take - 1]))
            {
                take--;
            }

            decoded.AsSpan(0, take).CopyTo(buffer.AsSpan(at));
            return at + take;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(decoded);
        }
    }

    /// <summary>Turns CRLF and lone CR into LF; safe on UTF-8 bytes, where CR and LF never occur inside a longer sequence.</summary>
    private static byte[] NormalizeNewlines(ReadOnlySpan<byte> content)
    {
        var result = new byte[content.Length];
        var length = 0;
        for (var i = 0; i < content.Length; i++)
        {
            if (content[i] == (byte)'\r')
            {
                result[length++] = (byte)'\n';
                if (i + 1 < content.Length && content[i + 1] == (byte)'\n')
                {
                    i++;
                }
            }
            else
            {
                result[length++] = content[i];
            }
        }

        return result[..length];
    }

    /// <summary>Returns the offset where 0-based line <paramref name="line"/> starts; the content's length when it has fewer lines.</summary>
    private static int LineStart(ReadOnlySpan<byte> content, int line)
    {
        var offset = 0;
        for (var i = 0; i < line; i++)
        {
            var next = content[offset..].IndexOf((byte)'\n');
            if (next < 0)
            {
                return content.Length;
            }

            offset += next + 1;
        }

        return offset;
    }

    /// <summary>Shows the lines around an edited line, numbered, as the reference's success message does.</summary>
    private static string Snippet(ReadOnlySpan<byte> content, int line)
    {
        var first = Math.Max(0, line - SnippetLines);
        var offset = LineStart(content, first);
        var builder = new StringBuilder();
        Span<char> number = stackalloc char[NumberWidth];
        for (var i = first; i <= line + SnippetLines; i++)
        {
            var rest = content[offset..];
            var end = rest.IndexOf((byte)'\n');
            if (i > first)
            {
                builder.Append('\n');
            }

            WriteNumber(number, 0, i);
            builder.Append(number).Append(Encoding.UTF8.GetString(end < 0 ? rest : rest[..end]));
            if (end < 0)
            {
                break;
            }

            offset += end + 1;
        }

        return builder.ToString();
    }

    /// <summary>Lists the line of every occurrence, overlapping ones included, as the reference does.</summary>
    private static List<int> OccurrenceLines(ReadOnlySpan<byte> content, ReadOnlySpan<byte> value)
    {
        var lines = new List<int>();
        var (line, counted) = (1, 0);
        for (var index = content.IndexOf(value); index >= 0;)
        {
            line += content[counted..index].Count((byte)'\n');
            counted = index;
            lines.Add(line);
            var next = index + 1 < content.Length ? content[(index + 1)..].IndexOf(value) : -1;
            index = next < 0 ? -1 : index + 1 + next;
        }

        return lines;
    }

    /// <summary>Normalises a Python slice bound: negative counts from the end, and the result is clamped to the list.</summary>
    private static long PythonIndex(long index, int length) =>
        index < 0 ? Math.Max(0, index + length) : Math.Min(index, length);

    private static string OneLine(string text) => MemoryMessages.Display(text);

    private delegate Edit Editor(ReadOnlySpan<byte> content);

    private delegate string Describe(ReadOnlySpan<byte> updated);

    private readonly record struct Edit(EditBuffer? Updated, Describe? Success, string? Failure)
    {
        public static Edit Write(EditBuffer updated, Describe success) => new(updated, success, null);

        public static Edit Fail(string failure) => new(null, null, failure);
    }

    /// <summary>The new content of an edited file, in a buffer rented from the shared pool.</summary>
    private sealed class EditBuffer(int capacity) : IDisposable
    {
        private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(capacity);

        public int Length { get; private set; }

        public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

        public EditBuffer Append(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer.AsSpan(Length));
            Length += bytes.Length;
            return this;
        }

        public void Dispose()
        {
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }
        }
    }

    /// <summary>Orders names by Unicode code point, as Python sorts strings.</summary>
    private sealed class CodePointComparer : IComparer<string>
    {
        public static CodePointComparer Instance { get; } = new();

        public int Compare(string? x, string? y)
        {
            var a = (x ?? string.Empty).EnumerateRunes();
            var b = (y ?? string.Empty).EnumerateRunes();
            while (true)
            {
                var hasA = a.MoveNext();
                var hasB = b.MoveNext();
                if (!hasA || !hasB)
                {
                    return hasA.CompareTo(hasB);
                }

                var order = a.Current.Value.CompareTo(b.Current.Value);
                if (order != 0)
                {
                    return order;
                }
            }
        }
    }
}

/// <summary>Represents a memory command's result: the text for the model and whether it reports an error.</summary>
/// <param name="Content">The text to send as the <c>tool_result</c> content.</param>
/// <param name="IsError">Whether to send the result with <c>is_error: true</c>.</param>
public readonly record struct MemoryToolResult(string Content, bool IsError)
{
    /// <summary>Creates a successful result.</summary>
    /// <param name="content">The text.</param>
    /// <returns>The result.</returns>
    public static MemoryToolResult Ok(string content) => new(content, false);

    /// <summary>Creates an error result.</summary>
    /// <param name="content">The message.</param>
    /// <returns>The result.</returns>
    public static MemoryToolResult Error(string content) => new(content, true);
}
