package sleeper.statestore.postgres.model;

import java.time.Instant;
import java.util.List;

import sleeper.statestore.postgres.internal.ModelAccess;

/** Builds model objects from what the store returned, without validating them again. */
final class TrustedModel extends ModelAccess {
    @Override
    public RowKeyField rowKeyField(String name, KeyType type) {
        return new RowKeyField(name, type, false);
    }

    @Override
    public Range range(String fieldName, Object min, Object max) {
        return new Range(fieldName, min, max, false);
    }

    @Override
    public Region region(List<Range> ranges) {
        return new Region(ranges, false);
    }

    @Override
    public Partition partition(String id, Region region, boolean leaf, String parentId, List<String> childIds,
            int dimension) {
        return new Partition(id, region, leaf, parentId, childIds, dimension, false);
    }

    @Override
    public FileReference fileReference(String filename, String partitionId, long numberOfRows, String jobId,
            Instant lastUpdateTime, boolean countApproximate, boolean onlyContainsDataForThisPartition) {
        return new FileReference(filename, partitionId, numberOfRows, jobId, lastUpdateTime, countApproximate,
                onlyContainsDataForThisPartition, false);
    }

    @Override
    public AllReferencesToAFile file(String filename, List<FileReference> references, Instant lastUpdateTime) {
        return new AllReferencesToAFile(filename, references, lastUpdateTime, false);
    }

    @Override
    public AllReferencesToAllFiles allFiles(List<AllReferencesToAFile> files, boolean moreThanMax) {
        return new AllReferencesToAllFiles(files, moreThanMax, true);
    }

    @Override
    public SplitFileReferenceRequest splitRequest(FileReference oldReference, List<FileReference> newReferences) {
        return new SplitFileReferenceRequest(oldReference, newReferences, false);
    }

    @Override
    public ReplaceFileReferencesRequest replaceRequest(String jobId, String partitionId, List<String> inputFiles,
            FileReference newReference) {
        return new ReplaceFileReferencesRequest(jobId, partitionId, inputFiles, newReference, false);
    }
}
