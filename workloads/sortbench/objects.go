package sortbench

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/overcast-sc/overcast/shuffle"
	"github.com/overcast-sc/overcast/storage"
)

// Object is one object of a data set.
type Object struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
}

// DataSet is the objects a URL names, in key order, read as one stream.
type DataSet struct {
	Bucket  *storage.Bucket
	Objects []Object
	// Size is the total of the objects' sizes.
	Size int64
	// listed tells a prefix, listed, from an object.
	listed bool
}

// OpenDataSet opens the object or prefix a URL names (see
// storage.OpenURL): a key ending in "/" or empty names every object under
// it. It fails when the URL names nothing or a size is not a multiple of
// RecordSize. The caller closes ds.Bucket.
func OpenDataSet(ctx context.Context, rawURL string) (*DataSet, error) {
	b, key, err := storage.OpenURL(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	ds := &DataSet{Bucket: b}
	if key == "" || strings.HasSuffix(key, "/") {
		err = ds.list(ctx, key)
	} else {
		err = ds.stat(ctx, key)
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	return ds, nil
}

func (ds *DataSet) stat(ctx context.Context, key string) error {
	a, err := ds.Bucket.Attributes(ctx, key)
	if err != nil {
		if storage.IsNotFound(err) {
			return fmt.Errorf("%s: no such object", key)
		}
		return fmt.Errorf("stat %s: %w", key, err)
	}
	return ds.addObject(key, a.Size)
}

// list takes the objects under prefix: those its manifest names when a
// sort wrote one (shuffle.ManifestName), else every object but those whose
// name starts with "_".
func (ds *DataSet) list(ctx context.Context, prefix string) error {
	ds.listed = true
	manifest, err := ds.Bucket.Get(ctx, prefix+shuffle.ManifestName)
	switch {
	case err == nil:
		for _, key := range strings.Fields(string(manifest)) {
			if err := ds.stat(ctx, key); err != nil {
				return fmt.Errorf("%s names %w", prefix+shuffle.ManifestName, err)
			}
		}
	case storage.IsNotFound(err):
		objs, err := ds.Bucket.List(ctx, prefix)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if strings.HasPrefix(path.Base(o.Key), "_") {
				continue
			}
			if err := ds.addObject(o.Key, o.Size); err != nil {
				return err
			}
		}
	default:
		return err
	}
	if len(ds.Objects) == 0 {
		return fmt.Errorf("no objects under %q", prefix)
	}
	return nil
}

func (ds *DataSet) addObject(key string, size int64) error {
	if size%RecordSize != 0 {
		return fmt.Errorf("%s: size %d is not a multiple of the %d-byte record", key, size, RecordSize)
	}
	ds.Objects = append(ds.Objects, Object{Key: key, Size: size})
	ds.Size += size
	return nil
}

// Records returns the number of records in the data set.
func (ds *DataSet) Records() int64 { return ds.Size / RecordSize }
