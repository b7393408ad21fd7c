package sleeper.statestore.postgres.sleeper;

import sleeper.core.statestore.FileReference;
import sleeper.core.statestore.StateStoreException;
import sleeper.core.statestore.exception.FileAlreadyExistsException;
import sleeper.core.statestore.exception.FileHasReferencesException;
import sleeper.core.statestore.exception.FileNotFoundException;
import sleeper.core.statestore.exception.FileReferenceAlreadyExistsException;
import sleeper.core.statestore.exception.FileReferenceAssignedToJobException;
import sleeper.core.statestore.exception.FileReferenceNotAssignedToJobException;
import sleeper.core.statestore.exception.FileReferenceNotFoundException;
import sleeper.core.statestore.exception.InitialiseWithFilesPresentException;
import sleeper.core.statestore.exception.NewReferenceSameAsOldReferenceException;
import sleeper.statestore.postgres.exception.PartitionNotFoundException;

/**
 * The Java API's exceptions as Sleeper's: the same class where Sleeper has one, with Sleeper's message;
 * a plain {@link StateStoreException} otherwise (a missing partition, table or connection), keeping
 * the API's exception as its cause. A failed split or compaction commit is its specific exception:
 * Sleeper's {@code StateStore.addTransaction} raises that, and the transaction's own
 * {@code synchronousCommit} wraps it in {@code SplitRequestsFailedException} or
 * {@code ReplaceRequestsFailedException}.
 */
final class SleeperExceptions {
    private SleeperExceptions() {
    }

    /** The Sleeper exception for {@code error}. */
    static StateStoreException toSleeper(sleeper.statestore.postgres.exception.StateStoreException error) {
        if (error instanceof sleeper.statestore.postgres.exception.FileAlreadyExistsException e) {
            return new FileAlreadyExistsException(e.getFilename());
        } else if (error instanceof sleeper.statestore.postgres.exception.FileNotFoundException e) {
            return new FileNotFoundException(e.getFilename());
        } else if (error instanceof sleeper.statestore.postgres.exception.FileReferenceNotFoundException e) {
            return new FileReferenceNotFoundException(e.getFilename(), e.getPartitionId());
        } else if (error instanceof sleeper.statestore.postgres.exception.FileReferenceAlreadyExistsException e) {
            return new FileReferenceAlreadyExistsException(reference(e.getFilename(), e.getPartitionId(), null));
        } else if (error instanceof sleeper.statestore.postgres.exception.FileReferenceAssignedToJobException e) {
            return new FileReferenceAssignedToJobException(reference(e.getFilename(), e.getPartitionId(), e.getJobId()));
        } else if (error instanceof sleeper.statestore.postgres.exception.FileReferenceNotAssignedToJobException e) {
            return new FileReferenceNotAssignedToJobException(
                    reference(e.getFilename(), e.getPartitionId(), null), e.getJobId());
        } else if (error instanceof sleeper.statestore.postgres.exception.NewReferenceSameAsOldReferenceException e) {
            return new NewReferenceSameAsOldReferenceException(e.getFilename());
        } else if (error instanceof sleeper.statestore.postgres.exception.FileHasReferencesException e) {
            return new FileHasReferencesException(e.getFilename(), (int) Math.min(Integer.MAX_VALUE, e.getReferenceCount()));
        } else if (error instanceof sleeper.statestore.postgres.exception.InitialiseWithFilesPresentException) {
            return new InitialiseWithFilesPresentException();
        } else if (error instanceof sleeper.statestore.postgres.exception.SplitRequestsFailedException e) {
            return toSleeper(e.getFailures().get(0));
        } else if (error instanceof sleeper.statestore.postgres.exception.ReplaceRequestsFailedException e) {
            return toSleeper(e.getFailures().get(0));
        } else if (error instanceof PartitionNotFoundException) {
            // Sleeper's stores raise a plain StateStoreException for a partition they do not hold.
            return new StateStoreException(error.getMessage());
        } else if (error.getClass() == sleeper.statestore.postgres.exception.StateStoreException.class) {
            // A tree or split that fails validation: Sleeper's message, and its cause if it has one.
            return new StateStoreException(error.getMessage(), error.getCause());
        }
        return new StateStoreException(error.getMessage(), error);
    }

    /** A reference naming only what Sleeper's exception messages show. */
    private static FileReference reference(String filename, String partitionId, String jobId) {
        return FileReference.builder().filename(filename).partitionId(partitionId).jobId(jobId).numberOfRows(0L)
                .build();
    }
}
