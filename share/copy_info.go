package share

import "context"

// CopyInfo reads a copy's metadata without its content and without
// logging a download: for listing it and for deciding who may withdraw
// it. ErrNotFound when there is none.
func (s *Service) CopyInfo(ctx context.Context, id string) (*Copy, error) {
	c, err := s.store.Copy(ctx, id)
	if err != nil {
		return nil, err
	}
	c.Content = nil
	return c, nil
}
