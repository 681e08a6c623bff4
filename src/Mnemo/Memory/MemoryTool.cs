using System.Text;
using System.Text.Unicode;

namespace Mnemo.Memory;

/// <summary>Executes <c>memory_20250818</c> commands against a store, with results identical to Anthropic's reference.</summary>
/// <remarks>
/// <para>Every result string lives here, so every store gives the same text, and nothing else does: checks on what is
/// written (<see cref="Safety.ScreeningMemoryTool"/>), the audit log (<see cref="AuditingMemoryTool"/>) and whatever a host
/// adds are stages around it, composed with <see cref="MemoryToolExtensions.AsBuilder"/>. On its own it writes whatever it
/// is given, exactly as the reference does.</para>
/// <para>A failure the model should see is a result with <see cref="MemoryToolResult.IsError"/> set; nothing else is
/// thrown but caller cancellation. Unexpected failures become a generic message and go to
/// <see cref="MemoryToolOptions.UnexpectedError"/>; no host path or stack trace reaches the model.</para>
/// <para>Edits read the file, compute the new text and write it only if the file is unchanged, retrying on conflict,
/// so concurrent commands never lose an update. The tool is thread-safe when its store is.</para>
/// </remarks>
public sealed class MemoryTool : IMemoryTool
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly MemoryToolOptions _options;
    private readonly CompareAndSwap<MemoryToolResult> _edits;

    /// <summary>Initializes a new instance of the <see cref="MemoryTool"/> class.</summary>
    /// <param name="store">The store that holds the memory files.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    public MemoryTool(IMemoryStore store, MemoryToolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        Store = store;
        _options = (options ?? new MemoryToolOptions()).Validated();
        _edits = new CompareAndSwap<MemoryToolResult>(_options.MaxConflictRetries);
    }

    /// <summary>Gets the store the tool works on.</summary>
    public IMemoryStore Store { get; }

    /// <inheritdoc/>
    public async ValueTask<MemoryToolResult> ExecuteAsync(MemoryToolCall call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Command is not { } command)
        {
            return MemoryToolResult.Error(call.InvalidInput!);
        }

        var context = new MemoryWriteContext(call.Actor, command.Name);
        try
        {
            return command switch
            {
                ViewMemoryCommand view => await ViewAsync(view, cancellationToken).ConfigureAwait(false),
                CreateMemoryCommand create => await CreateAsync(create, context, cancellationToken).ConfigureAwait(false),
                StrReplaceMemoryCommand replace => await StrReplaceAsync(replace, context, call.WriteCheck, cancellationToken).ConfigureAwait(false),
                InsertMemoryCommand insert => await InsertAsync(insert, context, call.WriteCheck, cancellationToken).ConfigureAwait(false),
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
            return MemoryToolResult.Error(MemoryMessages.StoreFailed(command.Name, MemoryMessages.Display(exception.Message)));
        }
        catch (Exception exception)
        {
            _options.UnexpectedError?.Invoke(command, exception);
            return MemoryToolResult.Error(MemoryMessages.InternalError(command.Name));
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType.IsInstanceOfType(this) ? this
            : serviceType.IsInstanceOfType(Store) ? Store
            : null;
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
                : MemoryToolResult.Ok(MemoryView.FormatListing(path.Original, entries));
        }

        return MemoryView.File(path, item.Content, command.ViewRange);
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

    private ValueTask<MemoryToolResult> StrReplaceAsync(
        StrReplaceMemoryCommand command, MemoryWriteContext context, Func<MemoryWriteCandidate, MemoryWriteDecision>? check, CancellationToken cancellationToken)
    {
        var oldBytes = TryEncodeStrict(command.OldStr);
        var newBytes = Encoding.UTF8.GetBytes(command.NewStr ?? string.Empty);
        return EditAsync(command.Path, content => MemoryEdits.StrReplace(command, oldBytes, newBytes, content), context, check, cancellationToken);
    }

    private ValueTask<MemoryToolResult> InsertAsync(
        InsertMemoryCommand command, MemoryWriteContext context, Func<MemoryWriteCandidate, MemoryWriteDecision>? check, CancellationToken cancellationToken)
    {
        var inserted = Encoding.UTF8.GetBytes(command.InsertText.TrimEnd('\n'));
        return EditAsync(command.Path, content => MemoryEdits.Insert(command, inserted, content), context, check, cancellationToken);
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
    private async ValueTask<MemoryToolResult> EditAsync(
        string rawPath, Func<ReadOnlySpan<byte>, MemoryEdit> edit, MemoryWriteContext context, Func<MemoryWriteCandidate, MemoryWriteDecision>? check,
        CancellationToken cancellationToken)
    {
        if (!TryParsePath(rawPath, out var path, out var failure))
        {
            return failure;
        }

        var (result, lost) = await _edits.RunAsync(
            (Tool: this, Path: path, Edit: edit, Context: context, Check: check),
            static (state, token) => state.Tool.EditOnceAsync(state.Path, state.Edit, state.Context, state.Check, token),
            cancellationToken).ConfigureAwait(false);
        return lost ? MemoryToolResult.Error(MemoryMessages.Busy(path.Original)) : result;
    }

    /// <summary>One attempt of an edit: read, compute, and write only if the file is still what was read.</summary>
    private async ValueTask<CompareAndSwap<MemoryToolResult>.Attempt> EditOnceAsync(
        MemoryPath path, Func<ReadOnlySpan<byte>, MemoryEdit> edit, MemoryWriteContext context, Func<MemoryWriteCandidate, MemoryWriteDecision>? check,
        CancellationToken cancellationToken)
    {
        var item = await Store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        if (item is null)
        {
            return CompareAndSwap<MemoryToolResult>.Won(MemoryToolResult.Error(MemoryMessages.DoesNotExistPlease(path.Original)));
        }

        if (item.Kind == MemoryEntryKind.Directory)
        {
            return CompareAndSwap<MemoryToolResult>.Won(MemoryToolResult.Error(MemoryMessages.NotAFile(path.Original)));
        }

        // Strict UTF-8 (a BOM is kept as it is), with CRLF and lone CR folded into LF as the reference's reading does.
        var content = item.Content;
        if (!Utf8.IsValid(content.Span))
        {
            return CompareAndSwap<MemoryToolResult>.Won(MemoryToolResult.Error(MemoryMessages.NotUtf8(path.Original)));
        }

        if (content.Span.Contains((byte)'\r'))
        {
            content = MemoryView.NormalizeNewlines(content.Span);
        }

        var result = edit(content.Span);
        if (result.Failure is not null)
        {
            return CompareAndSwap<MemoryToolResult>.Won(MemoryToolResult.Error(result.Failure));
        }

        using var updated = result.Updated!;
        var written = updated.Memory;
        if (check is not null)
        {
            var decision = check(Candidate(path, context.Reason ?? string.Empty, content.Span, updated.Memory.Span));
            if (decision.Refusal is { } refusal)
            {
                return CompareAndSwap<MemoryToolResult>.Won(MemoryToolResult.Error(refusal));
            }

            written = decision.Replacement is { } replacement ? Encoding.UTF8.GetBytes(replacement) : written;
        }

        if (written.Length > _options.MaxFileBytes)
        {
            return CompareAndSwap<MemoryToolResult>.Won(
                MemoryToolResult.Error(MemoryMessages.TooLarge(path.Original, written.Length, _options.MaxFileBytes)));
        }

        return await Store.ReplaceFileAsync(path, written, item, context, cancellationToken).ConfigureAwait(false)
            ? CompareAndSwap<MemoryToolResult>.Won(MemoryToolResult.Ok(result.Success!(written.Span)))
            : CompareAndSwap<MemoryToolResult>.Lost(default);
    }

    /// <summary>The file an edit would leave, with the range it changed: what differs between the file before and after,
    /// from the first byte that differs to the last, on character boundaries.</summary>
    private static MemoryWriteCandidate Candidate(MemoryPath path, string command, ReadOnlySpan<byte> before, ReadOnlySpan<byte> after)
    {
        var prefix = before.CommonPrefixLength(after);
        var suffix = 0;
        var most = Math.Min(before.Length, after.Length) - prefix;
        while (suffix < most && before[before.Length - 1 - suffix] == after[after.Length - 1 - suffix])
        {
            suffix++;
        }

        while (prefix > 0 && prefix < after.Length && (after[prefix] & 0xC0) == 0x80)
        {
            prefix--; // back to the start of the character the change begins in
        }

        var end = after.Length - suffix;
        while (end < after.Length && (after[end] & 0xC0) == 0x80)
        {
            end++; // on to the end of the character the change ends in
        }

        var text = Encoding.UTF8.GetString(after);
        var start = Encoding.UTF8.GetCharCount(after[..prefix]);
        return new MemoryWriteCandidate(path, command, text, start, Math.Max(start, text.Length - Encoding.UTF8.GetCharCount(after[end..])));
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
}
