using Npgsql;

namespace Mnemo.PostgreSql.Tests;

/// <summary>What the store tries again: the one predicate its retries run on.</summary>
public sealed class PostgreSqlTransactionsTests
{
    private static NpgsqlException DroppedConnection() => new("Exception while reading from stream", new EndOfStreamException());

    [Fact]
    public void ShouldRetry_TransientFailuresBeforeTheCommit_AreTriedAgain()
    {
        PostgreSqlTransactions.ShouldRetry(DroppedConnection()).ShouldBeTrue();
        PostgreSqlTransactions.ShouldRetry(new PostgresException("could not serialize access", "ERROR", "ERROR", "40001")).ShouldBeTrue();
        PostgreSqlTransactions.ShouldRetry(new PostgresException("deadlock detected", "ERROR", "ERROR", "40P01")).ShouldBeTrue();
    }

    [Fact]
    public void ShouldRetry_ACommitThatMayHaveBeenApplied_IsNeverTriedAgain()
    {
        var dropped = DroppedConnection();
        dropped.IsTransient.ShouldBeTrue();

        PostgreSqlTransactions.ShouldRetry(new CommitOutcomeUnknownException(dropped)).ShouldBeFalse();
    }

    [Fact]
    public void ShouldRetry_RefusalsAndOtherFailures_AreNotTriedAgain()
    {
        PostgreSqlTransactions.ShouldRetry(new PostgresException("duplicate key", "ERROR", "ERROR", "23505")).ShouldBeFalse();
        PostgreSqlTransactions.ShouldRetry(new InvalidOperationException("bug")).ShouldBeFalse();
        PostgreSqlTransactions.ShouldRetry(null).ShouldBeFalse();
    }
}
